/**
 * The keyword tables normalize_brief reads a client's words with: industry families, tones,
 * page names and languages, in English and French first, with common German, Spanish and
 * Italian words. Keywords are folded (lower case, no accents); see `matchKeyword` for how
 * they match.
 */
import { LANGUAGES, PAGE_KEYS, type TONES, type PageKey } from "../schemas";
import { words } from "./text";

export const FAMILIES = [
  "restaurant",
  "legal",
  "health",
  "tech",
  "retail",
  "creative",
  "construction",
  "education",
  "beauty",
  "finance",
  "services",
] as const;
export type Family = (typeof FAMILIES)[number];
export type Tone = (typeof TONES)[number];
export type Language = (typeof LANGUAGES)[number];

/** Families other than the "services" default, each with the words that point to it. */
const FAMILY_KEYWORDS: Record<Exclude<Family, "services">, readonly string[]> = {
  restaurant: [
    "restaur", "ristor", "cafe", "cafes", "bistro", "brasserie", "bar", "pub", "pizza", "pizzeria", "bakery", "boulang", "patiss",
    "traiteur", "catering", "food", "foods", "cuisine", "chef", "cooking", "creperie", "salon de the", "tea room", "food truck",
    "grill", "sushi", "burger", "wine", "winery", "vin", "cave a vin", "baeckerei", "backerei", "gastronom", "panaderia",
    "panetteria", "trattoria", "osteria", "taverna", "kitchen", "diner", "cantine",
  ],
  legal: [
    "law", "lawyer", "legal", "attorney", "avocat", "avoue", "notaire", "notary", "notar", "juridi", "juriste", "droit",
    "solicitor", "barrister", "paralegal", "rechtsanw", "anwalt", "kanzlei", "abogad", "avvocat", "legale", "huissier",
    "mediation", "mediateur",
  ],
  health: [
    "health", "sante", "clinic", "clinique", "klinik", "doctor", "docteur", "medec", "medic", "dentist", "dental",
    "dentaire", "physio", "kine", "kines", "osteo", "pharma", "nurse", "infirm", "hospital", "hopital", "psycholog", "psychiatr",
    "therap", "veterin", "vet", "optic", "opticien", "ortho", "podolog", "midwife", "sage femme", "arzt", "zahnarzt",
    "praxis", "salud", "medico", "salute", "care", "soins",
  ],
  tech: [
    "tech", "techn", "software", "logiciel", "saas", "it", "app", "apps", "mobile", "web", "website", "digital", "numerique",
    "startup", "developer", "developpeur", "informati", "cloud", "data", "ai", "ia", "cyber", "computer", "ordinateur",
    "hosting", "hebergement", "internet", "programming", "programmier", "code", "coding", "robot", "electronique",
    "electronics", "tecnolog",
  ],
  retail: [
    "shop", "store", "boutique", "retail", "ecommerce", "e commerce", "magasin", "commerce", "epicerie", "grocery",
    "florist", "fleur", "librair", "bookshop", "bookstore", "vente", "supermarket", "supermarche", "marketplace", "laden",
    "geschaeft", "geschaft", "tienda", "negozio", "jewel", "bijou", "fashion", "mode", "clothing", "vetement", "toy", "toys",
    "jouet", "concept store",
  ],
  creative: [
    "design", "graphi", "photo", "studio", "art", "arts", "artist", "illustrat", "music", "musique", "musik", "video",
    "film", "films", "cinema", "animation", "creati", "agence de communication", "branding", "marketing", "advertising",
    "publicite", "writer", "ecrivain", "redact", "copywrit", "theatre", "theater", "dance", "danse", "fotograf",
    "disen",
  ],
  construction: [
    "construct", "builder", "building", "batiment", "btp", "plomb", "plumb", "electrici", "carpent", "menuis", "charpent",
    "roof", "roofing", "roofer", "couvreur", "toiture", "renov", "macon", "mason", "paint", "peintre en batiment", "landscap",
    "paysag", "jardin", "garden", "architect", "chauffag", "hvac", "heating", "home improvement", "interior", "carrel",
    "tiling", "handyman", "bricol", "bau", "bauunternehmen", "handwerk", "construccion", "reformas", "edili", "ristruttur",
    "serrur", "locksmith",
  ],
  education: [
    "school", "ecole", "tutor", "soutien scolaire", "training", "formation", "course", "cours", "academy", "academie",
    "education", "teacher", "professeur", "enseign", "teaching", "university", "universite", "college", "lycee", "learn",
    "language school", "creche", "nursery", "kindergarten", "schule", "nachhilfe", "escuela", "academia", "scuola",
    "formazione", "bildung",
  ],
  beauty: [
    "beauty", "beaute", "salon", "hair", "hairdress", "coiff", "barber", "barbier", "spa", "massage", "esthet", "aesthet",
    "nail", "nails", "ongle", "wellness", "bien etre", "yoga", "pilates", "cosmet", "makeup", "maquill", "tattoo", "tatou",
    "skin", "skincare",
    "friseur", "kosmetik", "peluquer", "belleza", "parrucch", "estetica", "bellezza", "benessere", "fitness", "gym",
  ],
  finance: [
    "financ", "accounting", "accountant", "comptab", "bank", "banking", "banque", "insurance", "assurance", "invest", "tax",
    "taxes",
    "fiscal", "wealth", "patrimoine", "mortgage", "credit", "courtier", "broker", "audit", "bookkeep", "payroll", "paie",
    "steuer", "versicherung", "contable", "contabil", "asesoria fiscal", "commercialista", "seguro", "assicuraz",
  ],
};

const TONE_KEYWORDS: Record<Tone, readonly string[]> = {
  professional: [
    "professional", "professionnel", "professionell", "profesional", "professionale", "formal", "formel", "formale",
    "serious", "serieux", "corporate", "sobre", "institution", "expert", "neutral", "neutre", "sachlich",
    "rigoureux", "rigorous", "business",
  ],
  friendly: [
    "friendly", "warm", "warmth", "chaleureux", "convivial", "amical", "welcoming", "accueillant", "casual", "familial", "family",
    "bienveillant", "kind", "approachable", "human", "humain", "sympa", "relaxed", "detendu", "freundlich", "herzlich",
    "amigable", "cercano", "calido", "amichevole", "caloroso", "cordial",
  ],
  playful: [
    "playful", "fun", "funny", "ludique", "amusant", "whimsical", "quirky", "decale", "joyful", "joyeux", "humor", "humour",
    "drole", "cheerful", "colorful", "colourful", "colore", "verspielt", "lustig", "divertido", "alegre", "giocoso",
    "divertente", "allegro",
  ],
  luxury: [
    "luxury", "luxe", "luxueux", "luxurious", "premium", "haut de gamme", "high end", "upscale", "elegan", "prestig",
    "exclusi", "raffine", "refined", "chic", "sophistic", "luxurios", "lujo", "lusso", "lussuoso", "raffinato",
  ],
  bold: [
    "bold", "audacieux", "audace", "daring", "confident", "punchy", "energetic", "energique", "dynami", "strong",
    "striking", "percutant", "edgy", "disrupt", "fearless", "mutig", "kuhn", "audaz", "atrevido", "grintoso",
  ],
};

/** Page names as clients write them (folded), for each page the generator knows. */
const PAGE_SYNONYMS: Record<PageKey, readonly string[]> = {
  home: [
    "home", "homepage", "home page", "accueil", "page d accueil", "index", "start", "startseite", "inicio", "portada",
    "pagina principale", "pagina iniziale", "main",
  ],
  about: [
    "about", "about us", "a propos", "qui sommes nous", "qui nous sommes", "notre histoire", "our story", "team", "equipe",
    "notre equipe", "our team", "ueber uns", "uber uns", "sobre nosotros", "quienes somos", "chi siamo", "story", "histoire",
  ],
  services: [
    "services", "service", "our services", "nos services", "prestations", "nos prestations", "offers", "offres", "offer",
    "what we do", "products", "produits", "menu", "carte", "pricing", "tarifs", "prices", "leistungen", "dienstleistungen",
    "servicios", "servizi", "solutions",
  ],
  contact: [
    "contact", "contact us", "contactez nous", "nous contacter", "get in touch", "contacts", "kontakt", "contacto",
    "contatti", "contattaci", "reach us", "find us", "nous trouver", "acces",
  ],
  faq: [
    "faq", "faqs", "questions", "question", "frequently asked questions", "questions frequentes", "foire aux questions",
    "help", "aide", "haeufige fragen", "haufige fragen", "fragen", "preguntas frecuentes", "preguntas", "domande frequenti",
    "domande", "q a", "qa",
  ],
};

const LANGUAGE_NAMES: Record<Language, readonly string[]> = {
  en: ["en", "eng", "english", "anglais", "englisch", "ingles", "inglese"],
  fr: ["fr", "fra", "fre", "french", "francais", "franzosisch", "frances", "francese"],
  de: ["de", "deu", "ger", "german", "allemand", "deutsch", "aleman", "tedesco"],
  es: ["es", "spa", "esp", "spanish", "espagnol", "spanisch", "espanol", "castellano", "spagnolo"],
  it: ["it", "ita", "italian", "italien", "italienisch", "italiano"],
};

/**
 * Whether `keyword` occurs in the folded words of a text, and where (the word index), or -1.
 * A multi-word keyword matches consecutive words; a keyword of five letters or more matches
 * the start of a word ("restaur" finds "restaurants", "restauration"); a shorter one must be
 * the whole word ("it", "bar", "mode"), so "barber" is not a bar nor "modern" a fashion shop.
 */
function matchKeyword(textWords: readonly string[], keyword: string): number {
  const parts = keyword.split(" ");
  for (let i = 0; i + parts.length <= textWords.length; i++) {
    const hit = parts.every((part, j) => {
      const word = textWords[i + j]!;
      return parts.length === 1 && part.length >= 5 ? word.startsWith(part) : word === part;
    });
    if (hit) return i;
  }
  return -1;
}

/**
 * The key whose keywords the text matches best: most matches (a multi-word keyword counts
 * double, being more specific), then the earliest match, then table order. Null if none match.
 */
function classify<K extends string>(text: string, table: Readonly<Record<K, readonly string[]>>): K | null {
  const textWords = words(text);
  let best: { key: K; score: number; first: number } | null = null;
  for (const key of Object.keys(table) as K[]) {
    let score = 0;
    let first = Number.POSITIVE_INFINITY;
    for (const keyword of table[key]) {
      const at = matchKeyword(textWords, keyword);
      if (at < 0) continue;
      score += keyword.includes(" ") ? 2 : 1;
      first = Math.min(first, at);
    }
    if (score > 0 && (!best || score > best.score || (score === best.score && first < best.first))) best = { key, score, first };
  }
  return best?.key ?? null;
}

export function industryFamily(industry: string): Family {
  return classify(industry, FAMILY_KEYWORDS) ?? "services";
}

export function toneOf(text: string): Tone | null {
  return classify(text, TONE_KEYWORDS);
}

/**
 * A page name as typed ("Qui sommes-nous ?", "Contact us") → its key, or null if unknown.
 * The whole phrase is looked up first, then its words ("Nos tarifs 2025" → services).
 */
export function pageKeyOf(text: string): PageKey | null {
  const phraseWords = words(text);
  const phrase = phraseWords.join(" ");
  for (const key of PAGE_KEYS) if (PAGE_SYNONYMS[key].includes(phrase)) return key;
  for (const key of PAGE_KEYS) {
    if (PAGE_SYNONYMS[key].some((synonym) => synonym.length >= 4 && !synonym.includes(" ") && phraseWords.includes(synonym))) return key;
  }
  return null;
}

/**
 * "fr", "FR", "fr-FR", "fr_CA", "French", "Français", "langue : français" → "fr"; null if the
 * text names none of LANGUAGES. A code counts only at the start, followed by nothing but a
 * region or script ("de" in "de préférence" is not German); a name counts anywhere.
 */
export function languageOf(text: string): Language | null {
  const parts = words(text);
  const [first, ...rest] = parts;
  if (first === undefined) return null;
  const isTag = first.length <= 3 && rest.length <= 2 && rest.every((part) => part.length <= 4);
  for (const language of LANGUAGES) if (isTag && LANGUAGE_NAMES[language].includes(first)) return language;
  for (const part of parts) {
    for (const language of LANGUAGES) if (part.length > 3 && LANGUAGE_NAMES[language].includes(part)) return language;
  }
  return null;
}

/** The family of a brief (briefSchema allows any string), or "services" if it is not one of ours. */
export function asFamily(family: string): Family {
  return (FAMILIES as readonly string[]).includes(family) ? (family as Family) : "services";
}
