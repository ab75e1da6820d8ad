/**
 * What the /start form and its server action share: the form's state (the values typed, one
 * error per field) and the choices' labels. Type-only imports of the schemas keep zod out of
 * the browser bundle; the `Record<…>` types make a new tone, language or page a compile error
 * here until it has a label.
 */
import type { LANGUAGES, PAGE_KEYS, TONES } from "@/agents/schemas";

type Tone = (typeof TONES)[number];
type Language = (typeof LANGUAGES)[number];
type PageKey = (typeof PAGE_KEYS)[number];

export const TONE_LABELS: Record<Tone, string> = {
  professional: "Professional",
  friendly: "Friendly",
  playful: "Playful",
  luxury: "Luxury",
  bold: "Bold",
};

export const LANGUAGE_LABELS: Record<Language, string> = {
  en: "English",
  fr: "French (français)",
  de: "German (Deutsch)",
  es: "Spanish (español)",
  it: "Italian (italiano)",
};

export const PAGE_LABELS: Record<PageKey, string> = {
  home: "Home",
  about: "About",
  services: "Services",
  contact: "Contact",
  faq: "FAQ",
};

export const FIELD_NAMES = [
  "businessName",
  "industry",
  "audience",
  "tone",
  "pages",
  "contactEmail",
  "publicEmail",
  "language",
  "brandColor",
  "tagline",
] as const;
export type FieldName = (typeof FIELD_NAMES)[number];

/** The form's values as typed (strings, before validation). */
export interface OrderFormValues {
  businessName: string;
  industry: string;
  audience: string;
  tone: string;
  pages: string[];
  contactEmail: string;
  publicEmail: string;
  language: string;
  brandColor: string;
  tagline: string;
}

export interface OrderFormState {
  values: OrderFormValues;
  /** The first message per field, from orderFormSchema. */
  errors: Partial<Record<FieldName, string>>;
  /** A message about the whole submission (too many orders, a failure on our side). */
  formError: string | null;
  /** Submissions so far: the form remounts with the returned values after each one. */
  attempt: number;
}

/**
 * The pages ticked when the form opens: the usual small-business site, the same set
 * normalize_brief gives a brief that names no page. A client who fills only the required fields
 * gets that site, not a lone home page; unticking is one click.
 */
export const DEFAULT_ORDER_PAGES: readonly PageKey[] = ["home", "about", "services", "contact"];

export const INITIAL_ORDER_STATE: OrderFormState = {
  values: {
    businessName: "",
    industry: "",
    audience: "",
    tone: "professional",
    pages: [...DEFAULT_ORDER_PAGES],
    contactEmail: "",
    publicEmail: "",
    language: "en",
    brandColor: "",
    tagline: "",
  },
  errors: {},
  formError: null,
  attempt: 0,
};
