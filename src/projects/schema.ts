/**
 * The order form of /start, one zod schema for the page's server action and for
 * `POST /api/projects`: whatever the client used, the same rules and the same messages.
 */
import { z } from "zod";
import type { AddressLimit } from "@/db/rate-limit";

export const PAGE_KEYS = ["home", "about", "services", "contact", "faq"] as const;
export type PageKey = (typeof PAGE_KEYS)[number];
export const TONES = ["professional", "friendly", "playful", "luxury", "bold"] as const;
export const LANGUAGES = ["en", "fr", "de", "es", "it"] as const;

export const PRICE_CENTS = 39_900;
export const PRICE_CURRENCY = "eur";
/**
 * Project creation per client address, for the API and the /start form alike (one bucket per
 * address, whichever door the order came through): a burst of 5, then one a minute.
 */
export const PROJECTS_PER_ADDRESS = { capacity: 5, perMs: 1 / 60_000 };

/**
 * Orders (`POST /api/projects` and the /start form share it): 5 per address then one a minute;
 * all addresses together a burst of 600, then one a second. Decision: far above the orders a day
 * brings and above the long rehearsal's 500 orders in flight (`npm run rehearse -- --long`), and
 * still a ceiling (3,600 an hour) on what a client spread over many addresses can make the
 * platform create (Checkout sessions; in test mode, whole sites).
 */
export const ORDER_LIMIT: AddressLimit = {
  name: "projects",
  perAddress: PROJECTS_PER_ADDRESS,
  allAddresses: { capacity: 600, perMs: 1 / 1_000 },
};

const text = (label: string, max: number) =>
  z
    .string({ error: `${label} is required` })
    .trim()
    .min(1, `${label} is required`)
    .max(max, `${label} is at most ${max} characters`);

export const orderFormSchema = z.strictObject({
  businessName: text("Business name", 120),
  industry: text("Industry", 120),
  audience: text("Audience", 300),
  tone: z.enum(TONES, { error: "Choose a tone" }),
  pages: z
    .array(z.enum(PAGE_KEYS, { error: "Unknown page" }), { error: "Choose at least one page" })
    .min(1, "Choose at least one page")
    .max(PAGE_KEYS.length),
  contactEmail: z.email({ error: "Enter a valid email address" }).max(254),
  /**
   * The address to publish on the site (optional): the business's public contact, not where we
   * reach the client (`contactEmail`, which stays private; see src/projects/personal.ts).
   */
  publicEmail: z
    .email({ error: "Enter a valid email address" })
    .max(254)
    .optional()
    .or(z.literal("").transform(() => undefined)),
  language: z.enum(LANGUAGES, { error: "Choose a language" }),
  brandColor: z
    .string()
    .trim()
    .regex(/^#?[0-9a-fA-F]{6}$/, "A colour like #1a2b3c")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  tagline: z.string().trim().max(160, "Tagline is at most 160 characters").optional(),
});
export type OrderForm = z.output<typeof orderFormSchema>;

/**
 * The form's fields as a brief for the site_generation workflow (normalize_brief's input). The
 * agents' `contactEmail` is the address the SITE shows: the client's `publicEmail` when given,
 * never the private `contactEmail` (the order's contact is not published without being asked).
 */
export function briefOf(form: OrderForm): Record<string, unknown> {
  return {
    businessName: form.businessName,
    industry: form.industry,
    audience: form.audience,
    tone: form.tone,
    pages: form.pages,
    ...(form.publicEmail ? { contactEmail: form.publicEmail } : {}),
    language: form.language,
    ...(form.brandColor
      ? { brandColor: form.brandColor.startsWith("#") ? form.brandColor : `#${form.brandColor}` }
      : {}),
    ...(form.tagline ? { tagline: form.tagline } : {}),
  };
}
