/**
 * What people search for in each industry family, per language: search terms (lower case,
 * used as keywords) and a couple of slot-free headlines. normalize_brief maps a client's
 * industry to one of these families; an unknown family gets "services".
 */
import type { Brief } from "../schemas";

export type Language = Brief["language"];

interface FamilyCopy {
  /** At least three distinct search terms, so a campaign always has three keywords. */
  terms: readonly string[];
  headlines: readonly string[];
}

interface Family {
  /** Whether clients come from nearby (a restaurant) or from anywhere (a software studio). */
  local: boolean;
  copy: Record<Language, FamilyCopy>;
}

const FAMILIES: Record<string, Family> = {
  restaurant: {
    // Restaurants, cafés, bakeries, caterers, wine bars: the headlines fit them all.
    local: true,
    copy: {
      en: {
        terms: ["restaurant", "where to eat", "local food", "book a table"],
        headlines: ["Made Fresh Every Day", "Come and Visit Us"],
      },
      fr: {
        terms: ["restaurant", "où manger", "cuisine locale", "réserver une table"],
        headlines: ["Fait maison chaque jour", "Venez nous rendre visite"],
      },
      de: {
        terms: ["restaurant", "essen gehen", "regionale küche", "tisch reservieren"],
        headlines: ["Jeden Tag frisch gemacht", "Besuchen Sie uns"],
      },
      es: {
        terms: ["restaurante", "dónde comer", "comida local", "reservar mesa"],
        headlines: ["Hecho a diario", "Ven a visitarnos"],
      },
      it: {
        terms: ["ristorante", "dove mangiare", "cucina locale", "prenota un tavolo"],
        headlines: ["Fatto fresco ogni giorno", "Vieni a trovarci"],
      },
    },
  },
  legal: {
    local: true,
    copy: {
      en: {
        terms: ["lawyer", "law firm", "legal advice", "attorney"],
        headlines: ["Experienced Legal Advice", "Book a Consultation"],
      },
      fr: {
        terms: ["avocat", "cabinet d'avocats", "conseil juridique", "consultation juridique"],
        headlines: ["Conseil juridique expert", "Prenez rendez-vous"],
      },
      de: {
        terms: ["anwalt", "rechtsanwalt", "kanzlei", "rechtsberatung"],
        headlines: ["Kompetente Rechtsberatung", "Jetzt Termin vereinbaren"],
      },
      es: {
        terms: ["abogado", "bufete de abogados", "asesoría legal", "consulta legal"],
        headlines: ["Asesoría legal experta", "Pide tu consulta hoy"],
      },
      it: {
        terms: ["avvocato", "studio legale", "consulenza legale", "assistenza legale"],
        headlines: ["Consulenza legale esperta", "Prenota una consulenza"],
      },
    },
  },
  tech: {
    local: false,
    copy: {
      en: {
        terms: ["software development", "it services", "web development", "tech consulting"],
        headlines: ["Software That Works", "Talk to Our Engineers"],
      },
      fr: {
        terms: ["développement logiciel", "services informatiques", "développement web", "conseil informatique"],
        headlines: ["Des logiciels fiables", "Parlez à nos experts"],
      },
      de: {
        terms: ["softwareentwicklung", "it dienstleistungen", "webentwicklung", "it beratung"],
        headlines: ["Software, die funktioniert", "Sprechen Sie mit uns"],
      },
      es: {
        terms: ["desarrollo de software", "servicios informáticos", "desarrollo web", "consultoría tecnológica"],
        headlines: ["Software que funciona", "Habla con nuestro equipo"],
      },
      it: {
        terms: ["sviluppo software", "servizi informatici", "sviluppo web", "consulenza informatica"],
        headlines: ["Software che funziona", "Parla con i nostri esperti"],
      },
    },
  },
  health: {
    local: true,
    copy: {
      en: {
        terms: ["clinic", "health care", "medical appointment", "wellness"],
        headlines: ["Book an Appointment", "Caring, Expert Team"],
      },
      fr: {
        terms: ["cabinet médical", "soins de santé", "rendez-vous médical", "bien-être"],
        headlines: ["Prenez rendez-vous en ligne", "Une équipe à votre écoute"],
      },
      de: {
        terms: ["praxis", "gesundheit", "arzttermin", "wohlbefinden"],
        headlines: ["Jetzt Termin buchen", "Ein Team, das zuhört"],
      },
      es: {
        terms: ["clínica", "salud", "cita médica", "bienestar"],
        headlines: ["Pide tu cita en línea", "Un equipo que te cuida"],
      },
      it: {
        terms: ["studio medico", "salute", "visita medica", "benessere"],
        headlines: ["Prenota una visita", "Un team che si prende cura"],
      },
    },
  },
  retail: {
    local: true,
    copy: {
      en: {
        terms: ["shop", "online store", "buy online", "boutique"],
        headlines: ["Shop the Collection", "New Arrivals In Store"],
      },
      fr: {
        terms: ["boutique", "boutique en ligne", "acheter en ligne", "magasin"],
        headlines: ["Découvrez la collection", "Nouveautés en boutique"],
      },
      de: {
        terms: ["shop", "onlineshop", "online kaufen", "geschäft"],
        headlines: ["Entdecken Sie die Kollektion", "Neuheiten im Shop"],
      },
      es: {
        terms: ["tienda", "tienda online", "comprar online", "boutique"],
        headlines: ["Descubre la colección", "Novedades en tienda"],
      },
      it: {
        terms: ["negozio", "negozio online", "acquista online", "boutique"],
        headlines: ["Scopri la collezione", "Novità in negozio"],
      },
    },
  },
  creative: {
    local: false,
    copy: {
      en: {
        terms: ["design studio", "creative agency", "branding", "graphic design"],
        headlines: ["Ideas That Stand Out", "See Our Portfolio"],
      },
      fr: {
        terms: ["studio de design", "agence créative", "identité visuelle", "graphisme"],
        headlines: ["Des idées qui marquent", "Voir notre portfolio"],
      },
      de: {
        terms: ["designstudio", "kreativagentur", "branding", "grafikdesign"],
        headlines: ["Ideen, die auffallen", "Unser Portfolio ansehen"],
      },
      es: {
        terms: ["estudio de diseño", "agencia creativa", "branding", "diseño gráfico"],
        headlines: ["Ideas que destacan", "Mira nuestro portfolio"],
      },
      it: {
        terms: ["studio di design", "agenzia creativa", "branding", "grafica"],
        headlines: ["Idee che si fanno notare", "Guarda il nostro portfolio"],
      },
    },
  },
  construction: {
    local: true,
    copy: {
      en: {
        terms: ["builder", "renovation", "home repairs", "free quote"],
        headlines: ["Get a Free Quote", "Quality Work, On Time"],
      },
      fr: {
        terms: ["artisan", "rénovation", "travaux", "devis gratuit"],
        headlines: ["Demandez un devis gratuit", "Des travaux dans les délais"],
      },
      de: {
        terms: ["handwerker", "renovierung", "sanierung", "kostenloses angebot"],
        headlines: ["Kostenloses Angebot anfordern", "Qualität, pünktlich geliefert"],
      },
      es: {
        terms: ["reformas", "construcción", "obras", "presupuesto gratis"],
        headlines: ["Pide presupuesto gratis", "Trabajo de calidad a tiempo"],
      },
      it: {
        terms: ["ristrutturazioni", "edilizia", "lavori di casa", "preventivo gratuito"],
        headlines: ["Richiedi un preventivo", "Lavori di qualità nei tempi"],
      },
    },
  },
  education: {
    local: true,
    copy: {
      en: {
        terms: ["courses", "private lessons", "training", "tutoring"],
        headlines: ["Learn With Expert Teachers", "Enrol Today"],
      },
      fr: {
        terms: ["cours", "cours particuliers", "formation", "soutien scolaire"],
        headlines: ["Apprenez avec des experts", "Inscrivez-vous dès maintenant"],
      },
      de: {
        terms: ["kurse", "nachhilfe", "weiterbildung", "unterricht"],
        headlines: ["Lernen mit erfahrenen Lehrern", "Jetzt anmelden"],
      },
      es: {
        terms: ["cursos", "clases particulares", "formación", "academia"],
        headlines: ["Aprende con expertos", "Inscríbete hoy"],
      },
      it: {
        terms: ["corsi", "lezioni private", "formazione", "ripetizioni"],
        headlines: ["Impara con esperti", "Iscriviti oggi"],
      },
    },
  },
  beauty: {
    local: true,
    copy: {
      en: {
        terms: ["beauty salon", "hair salon", "spa", "massage"],
        headlines: ["Book Your Appointment", "Relax and Feel Great"],
      },
      fr: {
        terms: ["institut de beauté", "salon de coiffure", "spa", "massage"],
        headlines: ["Réservez votre rendez-vous", "Prenez soin de vous"],
      },
      de: {
        terms: ["kosmetikstudio", "friseur", "spa", "massage"],
        headlines: ["Jetzt Termin buchen", "Entspannen und wohlfühlen"],
      },
      es: {
        terms: ["salón de belleza", "peluquería", "spa", "masaje"],
        headlines: ["Reserva tu cita", "Relájate y cuídate"],
      },
      it: {
        terms: ["centro estetico", "parrucchiere", "spa", "massaggio"],
        headlines: ["Prenota il tuo appuntamento", "Rilassati e prenditi cura"],
      },
    },
  },
  finance: {
    local: true,
    copy: {
      en: {
        terms: ["accountant", "tax advice", "financial advice", "bookkeeping"],
        headlines: ["Clear Financial Advice", "Book a Free Call"],
      },
      fr: {
        terms: ["expert-comptable", "conseil fiscal", "conseil financier", "comptabilité"],
        headlines: ["Des conseils financiers clairs", "Premier échange offert"],
      },
      de: {
        terms: ["steuerberater", "buchhaltung", "finanzberatung", "steuerberatung"],
        headlines: ["Klare Finanzberatung", "Erstgespräch vereinbaren"],
      },
      es: {
        terms: ["asesoría fiscal", "contable", "asesoría financiera", "gestoría"],
        headlines: ["Asesoría financiera clara", "Pide una primera cita"],
      },
      it: {
        terms: ["commercialista", "consulenza fiscale", "consulenza finanziaria", "contabilità"],
        headlines: ["Consulenza finanziaria chiara", "Prenota un primo incontro"],
      },
    },
  },
  services: {
    local: true,
    copy: {
      en: {
        terms: ["professional services", "local services", "free quote", "consulting"],
        headlines: ["Get a Free Quote", "Reliable, On-Time Service"],
      },
      fr: {
        terms: ["services professionnels", "prestataire de services", "devis gratuit", "conseil"],
        headlines: ["Demandez un devis gratuit", "Un service fiable"],
      },
      de: {
        terms: ["dienstleistungen", "dienstleister", "kostenloses angebot", "beratung"],
        headlines: ["Kostenloses Angebot anfordern", "Zuverlässiger Service"],
      },
      es: {
        terms: ["servicios profesionales", "empresa de servicios", "presupuesto gratis", "asesoramiento"],
        headlines: ["Pide presupuesto gratis", "Un servicio fiable"],
      },
      it: {
        terms: ["servizi professionali", "azienda di servizi", "preventivo gratuito", "consulenza"],
        headlines: ["Richiedi un preventivo", "Un servizio affidabile"],
      },
    },
  },
};

export interface FamilyInfo extends FamilyCopy {
  local: boolean;
}

/** The family's copy in a language; an unknown family is treated as "services". */
export function familyCopy(family: string, language: Language): FamilyInfo {
  const key = family.trim().toLowerCase();
  const known = Object.hasOwn(FAMILIES, key) ? FAMILIES[key] : undefined;
  const chosen = known ?? FAMILIES.services;
  if (!chosen) throw new Error("the services family is missing");
  return { local: chosen.local, ...chosen.copy[language] };
}

/** Every family name, e.g. for tests that cover them all. */
export const FAMILY_NAMES: readonly string[] = Object.keys(FAMILIES);
