/**
 * The shapes the agents hand each other along the site-generation chain
 * (brief → design → page content → site files → deployment → QA), shared so each agent's
 * output schema is the next one's input schema.
 */
import { z } from "zod";
import { LANGUAGES, PAGE_KEYS, TONES } from "@/projects/schema";

// The order form's vocabulary (pages, tones, languages) is the projects' own; the agents speak it.
export { LANGUAGES, PAGE_KEYS, TONES, type PageKey } from "@/projects/schema";

export const LAYOUTS = ["centered", "split", "editorial", "grid"] as const;

const HEX = /^#[0-9a-f]{6}$/;
export const hexColor = z.string().regex(HEX, "a colour like #1a2b3c (lower case, 6 digits)");
const slug = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/, "lower-case letters, digits and inner hyphens, at most 48");

/** What a client typed in the order form (lenient: normalize_brief cleans it). */
export const rawBriefSchema = z.strictObject({
  businessName: z.string().trim().min(1).max(120),
  industry: z.string().trim().min(1).max(120),
  audience: z.string().trim().max(300).optional(),
  tone: z.string().trim().max(40).optional(),
  pages: z.array(z.string().trim().max(40)).max(10).optional(),
  // Lenient on purpose: normalize_brief turns an address it cannot read into null rather than
  // failing the whole brief (the order form validates the address itself).
  contactEmail: z.string().trim().max(254).optional(),
  language: z.string().trim().max(20).optional(),
  brandColor: z.string().trim().max(20).optional(),
  tagline: z.string().trim().max(160).optional(),
});
export type RawBrief = z.infer<typeof rawBriefSchema>;

/** A clean, complete brief: every later agent can rely on every field. */
export const briefSchema = z.strictObject({
  businessName: z.string().min(1).max(120),
  slug,
  industry: z.string().min(1).max(120),
  /** The industry mapped to a known family (e.g. "restaurant", "legal", "tech", "health", "retail", "creative", "services"). */
  industryFamily: z.string().min(1).max(40),
  audience: z.string().min(1).max(300),
  tone: z.enum(TONES),
  /** Always starts with "home"; no duplicates; in PAGE_KEYS order. */
  pages: z.array(z.enum(PAGE_KEYS)).min(1),
  contactEmail: z.email().nullable(),
  language: z.enum(LANGUAGES),
  brandColor: hexColor.nullable(),
  tagline: z.string().min(1).max(160),
});
export type Brief = z.infer<typeof briefSchema>;

export const designSchema = z.strictObject({
  palette: z.strictObject({
    primary: hexColor,
    onPrimary: hexColor,
    secondary: hexColor,
    accent: hexColor,
    background: hexColor,
    surface: hexColor,
    text: hexColor,
    mutedText: hexColor,
  }),
  /** WCAG contrast ratios of the pairs the site uses, each at least 4.5. */
  contrast: z.strictObject({
    textOnBackground: z.number().min(4.5),
    mutedTextOnBackground: z.number().min(4.5),
    textOnSurface: z.number().min(4.5),
    onPrimaryOnPrimary: z.number().min(4.5),
  }),
  typography: z.strictObject({
    headingFont: z.string().min(1).max(200),
    bodyFont: z.string().min(1).max(200),
    baseSizePx: z.number().int().min(14).max(22),
    scaleRatio: z.number().min(1.1).max(1.7),
    /** CSS sizes in rem for h1, h2, h3, body and small text. */
    sizes: z.strictObject({ h1: z.string(), h2: z.string(), h3: z.string(), body: z.string(), small: z.string() }),
  }),
  layout: z.enum(LAYOUTS),
  radiusPx: z.number().int().min(0).max(32),
  spacingPx: z.number().int().min(4).max(32),
});
export type Design = z.infer<typeof designSchema>;

export const pageContentSchema = z.strictObject({
  page: z.enum(PAGE_KEYS),
  /** The page's path inside the site: "/" for home, "/about/" etc. */
  path: z.string().regex(/^\/(?:[a-z0-9-]+\/)?$/),
  language: z.enum(LANGUAGES),
  /** Navigation label. */
  navLabel: z.string().min(1).max(40),
  title: z.string().min(1).max(60),
  metaDescription: z.string().min(50).max(160),
  h1: z.string().min(1).max(90),
  intro: z.string().min(1).max(600),
  sections: z
    .array(
      z.strictObject({
        heading: z.string().min(1).max(90),
        paragraphs: z.array(z.string().min(1).max(900)).min(1).max(5),
        items: z
          .array(z.strictObject({ title: z.string().min(1).max(90), text: z.string().min(1).max(400) }))
          .max(8)
          .optional(),
      }),
    )
    .min(1)
    .max(8),
  /** Calls to action; `href` is a site-internal path ("/contact/") or a mailto: link. */
  ctas: z
    .array(z.strictObject({ label: z.string().min(1).max(40), href: z.string().min(1).max(300) }))
    .min(1)
    .max(3),
});
export type PageContent = z.infer<typeof pageContentSchema>;

export const siteFileSchema = z.strictObject({
  /** Relative to the site root, no leading slash: "index.html", "about/index.html", "styles.css", "sitemap.xml", "robots.txt". */
  path: z.string().regex(/^(?:[a-z0-9-]+\/)*[a-z0-9-]+\.[a-z0-9]+$/),
  contentType: z.string().min(1).max(100),
  content: z.string(),
});
export type SiteFile = z.infer<typeof siteFileSchema>;

export const siteSchema = z.strictObject({
  slug,
  files: z.array(siteFileSchema).min(1).max(100),
  /** The page paths ("/", "/about/"), in navigation order. */
  pages: z.array(z.string()).min(1),
});
export type Site = z.infer<typeof siteSchema>;

export const deploymentSchema = z.strictObject({
  slug,
  deploymentId: z.uuid(),
  /** Path of the site on this platform: `/sites/<slug>/`. */
  path: z.string(),
  /** Absolute URL of the site on this platform, or (storage "blob") the Blob URL of its index.html. */
  url: z.string(),
  fileCount: z.number().int(),
  bytes: z.number().int(),
  /** "postgres" (served by /sites/<slug>/...) or "blob" (also copied to Vercel Blob, when configured; still served by /sites/<slug>/...). */
  storage: z.enum(["postgres", "blob"]),
});
export type Deployment = z.infer<typeof deploymentSchema>;
