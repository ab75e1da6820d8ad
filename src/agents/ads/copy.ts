/**
 * Search-ad copy templates, one table per brief language. Slots: `{name}` (business name),
 * `{industry}` (as typed), `{Industry}` (first letter in upper case), `{audience}`,
 * `{tagline}`, `{term}` (an industry-family term, keywords only). A template whose filled text
 * is over the limit is dropped, so long templates are fine: they serve short names.
 *
 * Headlines avoid adjectives agreeing with the industry (French, Spanish and Italian would
 * need its gender), and use no "!" (Google refuses it in headlines).
 */
import type { Language } from "./families";

export const THEMES = ["brand", "services", "local", "audience"] as const;
export type Theme = (typeof THEMES)[number];

export interface AdCopy {
  headlines: Record<Theme, readonly string[]>;
  /** No slots and under 30 characters: every campaign gets at least three headlines. */
  fallbackHeadlines: readonly string[];
  descriptions: Record<Theme, readonly string[]>;
  /** No slots and under 90 characters: every campaign gets at least two descriptions. */
  fallbackDescriptions: readonly string[];
  keywords: {
    brand: readonly string[];
    local: readonly string[];
    audience: readonly string[];
  };
  /** Words left out when audience text is turned into keywords. */
  stopwords: ReadonlySet<string>;
}

const words = (text: string): ReadonlySet<string> => new Set(text.split(" "));

const en: AdCopy = {
  headlines: {
    brand: ["{name}", "{name} Official Site", "Discover {name}", "Contact {name} Today", "{tagline}"],
    services: [
      "Expert {Industry}",
      "Trusted {Industry}",
      "{Industry} by {name}",
      "Quality {Industry}",
      "{Industry} You Can Trust",
    ],
    local: ["{Industry} Near You", "Local {Industry}", "Your Local {Industry}", "{name} Near You"],
    audience: ["{Industry} for {audience}", "Made for {audience}", "{Industry} for You"],
  },
  fallbackHeadlines: ["Contact Us Today", "Friendly, Expert Service", "See What We Offer", "Get in Touch Today"],
  descriptions: {
    brand: [
      "{name}: {tagline}",
      "Discover {name}: {industry} for {audience}. Get in touch today.",
      "Visit the official {name} website to see what we offer and contact us.",
    ],
    services: [
      "{Industry} for {audience}. Clear prices, quick answers. Contact us today.",
      "{name}: {industry} you can trust. Write to us today.",
    ],
    local: ["Your local {industry} specialists. Friendly service, quick answers. Contact us today."],
    audience: ["{Industry} designed for {audience}. See what {name} can do for you."],
  },
  fallbackDescriptions: [
    "Friendly, professional service you can rely on. Contact us today for a quick answer.",
    "See our services, meet the team and get in touch online in a few clicks.",
  ],
  keywords: {
    brand: ["{name}", "{name} {term}", "{name} contact"],
    local: ["{term} near me", "local {term}"],
    audience: ["{term} for {audience}"],
  },
  stopwords: words("a an and the of for in on at to with by from or our your their who which that people"),
};

const fr: AdCopy = {
  headlines: {
    brand: ["{name}", "{name} – Site officiel", "Découvrez {name}", "Contactez {name}", "{tagline}"],
    services: ["{Industry} de confiance", "{Industry} par {name}", "{Industry} de qualité", "{Industry} : nos experts"],
    local: ["{Industry} près de chez vous", "{Industry} à proximité", "{name} près de chez vous"],
    audience: ["{Industry} pour {audience}", "Pensé pour {audience}"],
  },
  fallbackHeadlines: [
    "Contactez-nous dès maintenant",
    "Un service à votre écoute",
    "Découvrez nos services",
    "Écrivez-nous dès aujourd'hui",
  ],
  descriptions: {
    brand: [
      "{name} : {tagline}",
      "Découvrez {name} : {industry} pour {audience}. Contactez-nous dès aujourd'hui.",
      "Le site officiel de {name}. Découvrez nos services et contactez-nous en ligne.",
    ],
    services: [
      "{Industry} pour {audience}. Tarifs clairs, réponse rapide. Contactez-nous.",
      "{name} : {industry} de confiance. Écrivez-nous dès aujourd'hui.",
    ],
    local: ["{Industry} près de chez vous. Service attentif et réponse rapide. Contactez-nous."],
    audience: ["{Industry} pensé pour {audience}. Découvrez ce que {name} peut faire pour vous."],
  },
  fallbackDescriptions: [
    "Un service professionnel et attentif. Contactez-nous pour une réponse rapide.",
    "Découvrez nos services, notre équipe et contactez-nous en ligne en quelques clics.",
  ],
  keywords: {
    brand: ["{name}", "{name} {term}", "{name} contact"],
    local: ["{term} près de chez moi", "{term} à proximité"],
    audience: ["{term} pour {audience}"],
  },
  stopwords: words("le la les l un une des de du d et ou pour en au aux à avec par sur qui que nos vos leurs dans"),
};

const de: AdCopy = {
  headlines: {
    brand: ["{name}", "{name} – Offizielle Website", "Entdecken Sie {name}", "{name} jetzt kontaktieren", "{tagline}"],
    services: ["{Industry} vom Profi", "{Industry} von {name}", "{Industry} – Ihr Experte", "{Industry} mit Qualität"],
    local: ["{Industry} in Ihrer Nähe", "{Industry} vor Ort", "{name} in Ihrer Nähe"],
    audience: ["{Industry} für {audience}", "Gemacht für {audience}"],
  },
  fallbackHeadlines: [
    "Jetzt Kontakt aufnehmen",
    "Freundlich und kompetent",
    "Unsere Leistungen ansehen",
    "Schreiben Sie uns heute",
  ],
  descriptions: {
    brand: [
      "{name}: {tagline}",
      "Entdecken Sie {name}: {industry} für {audience}. Jetzt Kontakt aufnehmen.",
      "Die offizielle Website von {name}. Leistungen ansehen und online Kontakt aufnehmen.",
    ],
    services: [
      "{Industry} für {audience}. Klare Preise, schnelle Antworten. Jetzt anfragen.",
      "{name}: {industry} vom Profi. Schreiben Sie uns noch heute.",
    ],
    local: ["{Industry} in Ihrer Nähe. Freundlicher Service, schnelle Antwort. Jetzt anfragen."],
    audience: ["{Industry} für {audience}. Erfahren Sie, was {name} für Sie tun kann."],
  },
  fallbackDescriptions: [
    "Professioneller, freundlicher Service. Kontaktieren Sie uns für eine schnelle Antwort.",
    "Leistungen ansehen, das Team kennenlernen und online Kontakt aufnehmen.",
  ],
  keywords: {
    brand: ["{name}", "{name} {term}", "{name} kontakt"],
    local: ["{term} in der nähe", "{term} vor ort"],
    audience: ["{term} für {audience}"],
  },
  stopwords: words(
    "der die das den dem des ein eine einen und oder für mit von zu im in am an auf aus bei die unsere ihre",
  ),
};

const es: AdCopy = {
  headlines: {
    brand: ["{name}", "{name} – Sitio oficial", "Descubre {name}", "Contacta con {name}", "{tagline}"],
    services: ["{Industry} de confianza", "{Industry} de {name}", "{Industry} con garantía", "{Industry}: expertos"],
    local: ["{Industry} cerca de ti", "{Industry} en tu zona", "{name} cerca de ti"],
    audience: ["{Industry} para {audience}", "Pensado para {audience}"],
  },
  fallbackHeadlines: [
    "Contáctanos hoy mismo",
    "Atención cercana y rápida",
    "Descubre nuestros servicios",
    "Escríbenos hoy",
  ],
  descriptions: {
    brand: [
      "{name}: {tagline}",
      "Descubre {name}: {industry} para {audience}. Contáctanos hoy mismo.",
      "Web oficial de {name}. Descubre nuestros servicios y contáctanos en línea.",
    ],
    services: [
      "{Industry} para {audience}. Precios claros y respuesta rápida. Contáctanos.",
      "{name}: {industry} de confianza. Escríbenos hoy mismo.",
    ],
    local: ["{Industry} cerca de ti. Atención cercana y respuesta rápida. Contáctanos hoy."],
    audience: ["{Industry} pensado para {audience}. Descubre lo que {name} puede hacer por ti."],
  },
  fallbackDescriptions: [
    "Un servicio profesional y cercano. Contáctanos y te responderemos enseguida.",
    "Descubre nuestros servicios, conoce al equipo y contáctanos en línea en pocos clics.",
  ],
  keywords: {
    brand: ["{name}", "{name} {term}", "{name} contacto"],
    local: ["{term} cerca de mí", "{term} en mi zona"],
    audience: ["{term} para {audience}"],
  },
  stopwords: words("el la los las un una unos unas de del y o para en con por a al que nuestros sus"),
};

const it: AdCopy = {
  headlines: {
    brand: ["{name}", "{name} – Sito ufficiale", "Scopri {name}", "Contatta {name}", "{tagline}"],
    services: [
      "{Industry} di fiducia",
      "{Industry} di {name}",
      "{Industry} con garanzia",
      "{Industry}: i nostri esperti",
    ],
    local: ["{Industry} vicino a te", "{Industry} in zona", "{name} vicino a te"],
    audience: ["{Industry} per {audience}", "Pensato per {audience}"],
  },
  fallbackHeadlines: [
    "Contattaci oggi stesso",
    "Servizio rapido e cortese",
    "Scopri i nostri servizi",
    "Scrivici oggi",
  ],
  descriptions: {
    brand: [
      "{name}: {tagline}",
      "Scopri {name}: {industry} per {audience}. Contattaci oggi stesso.",
      "Sito ufficiale di {name}. Scopri i nostri servizi e contattaci online.",
    ],
    services: [
      "{Industry} per {audience}. Prezzi chiari e risposte rapide. Contattaci.",
      "{name}: {industry} di fiducia. Scrivici oggi stesso.",
    ],
    local: ["{Industry} vicino a te. Servizio cortese e risposte rapide. Contattaci oggi."],
    audience: ["{Industry} pensato per {audience}. Scopri cosa {name} può fare per te."],
  },
  fallbackDescriptions: [
    "Un servizio professionale e cortese. Contattaci per una risposta rapida.",
    "Scopri i nostri servizi, conosci il team e contattaci online in pochi clic.",
  ],
  keywords: {
    brand: ["{name}", "{name} {term}", "{name} contatti"],
    local: ["{term} vicino a me", "{term} in zona"],
    audience: ["{term} per {audience}"],
  },
  stopwords: words("il lo la i gli le un uno una di del della dei e o per in con da a al che nostri loro"),
};

const COPY: Record<Language, AdCopy> = { en, fr, de, es, it };

export function adCopy(language: Language): AdCopy {
  return COPY[language];
}
