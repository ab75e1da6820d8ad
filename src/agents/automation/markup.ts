/** Escaping and the few interface words a generated site needs, in each supported language. */
import type { LANGUAGES } from "../schemas";

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for HTML content and double-quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** XML text and attribute values (sitemap, SVG): the same five characters. */
export const escapeXml = escapeHtml;

export type Language = (typeof LANGUAGES)[number];

export interface SiteLabels {
  skipLink: string;
  mainNav: string;
  notFoundTitle: string;
  notFoundText: string;
  backHome: string;
  emailUs: string;
}

export const LABELS: Record<Language, SiteLabels> = {
  en: {
    skipLink: "Skip to main content",
    mainNav: "Main navigation",
    notFoundTitle: "Page not found",
    notFoundText: "Sorry, this page does not exist or has moved.",
    backHome: "Back to the home page",
    emailUs: "Email us",
  },
  fr: {
    skipLink: "Aller au contenu principal",
    mainNav: "Navigation principale",
    notFoundTitle: "Page introuvable",
    notFoundText: "Désolé, cette page n’existe pas ou a été déplacée.",
    backHome: "Retour à l’accueil",
    emailUs: "Écrivez-nous",
  },
  de: {
    skipLink: "Zum Hauptinhalt springen",
    mainNav: "Hauptnavigation",
    notFoundTitle: "Seite nicht gefunden",
    notFoundText: "Diese Seite existiert leider nicht oder wurde verschoben.",
    backHome: "Zur Startseite",
    emailUs: "Schreiben Sie uns",
  },
  es: {
    skipLink: "Saltar al contenido principal",
    mainNav: "Navegación principal",
    notFoundTitle: "Página no encontrada",
    notFoundText: "Lo sentimos, esta página no existe o se ha movido.",
    backHome: "Volver al inicio",
    emailUs: "Escríbenos",
  },
  it: {
    skipLink: "Vai al contenuto principale",
    mainNav: "Navigazione principale",
    notFoundTitle: "Pagina non trovata",
    notFoundText: "Spiacenti, questa pagina non esiste o è stata spostata.",
    backHome: "Torna alla pagina iniziale",
    emailUs: "Scrivici",
  },
};
