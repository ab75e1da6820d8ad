/**
 * normalize_brief: a client's order form → a clean, complete brief. Every field is cleaned or
 * defaulted, so later agents never guess; only a name or industry with nothing readable in it
 * is refused. Normalising a normalised brief gives it back unchanged (the cleaning is a fixed
 * point and every derived field is a function of cleaned fields).
 */
import { z } from "zod";
import { NotFoundError } from "@/errors";
import { readOrderForm } from "@/projects/personal";
import { briefOf } from "@/projects/schema";
import { ActionRejected, defineAction } from "../framework";
import { PAGE_KEYS, briefSchema, rawBriefSchema, type Brief, type PageKey, type RawBrief } from "../schemas";
import { COPY } from "./copy";
import { slugify, words } from "@/util/slug";
import { capitalize, clean, fill } from "./text";
import { industryFamily, languageOf, pageKeyOf, toneOf, type Family, type Language, type Tone } from "./vocabulary";

const DEFAULT_PAGES: readonly PageKey[] = ["home", "about", "services", "contact"];

/** The tone a family's sites usually take, when the brief names none. */
const DEFAULT_TONE: Readonly<Record<Family, Tone>> = {
  restaurant: "friendly",
  legal: "professional",
  health: "professional",
  tech: "bold",
  retail: "friendly",
  creative: "playful",
  construction: "professional",
  education: "friendly",
  beauty: "luxury",
  finance: "professional",
  services: "professional",
};

/** #abc, #aabbcc, AABBCC → "#aabbcc"; anything else → null. */
export function brandColorOf(raw: string | undefined): string | null {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(raw?.trim() ?? "");
  if (!m) return null;
  const hex = m[1]!.toLowerCase();
  return `#${hex.length === 3 ? [...hex].map((c) => c + c).join("") : hex}`;
}

const emailSchema = briefSchema.shape.contactEmail.unwrap();
function emailOf(raw: string | undefined): string | null {
  const email = raw?.trim().toLowerCase() ?? "";
  return emailSchema.safeParse(email).success ? email : null;
}

function pagesOf(raw: readonly string[] | undefined): PageKey[] {
  const named = (raw ?? []).filter((page) => words(page).length > 0);
  if (named.length === 0) return [...DEFAULT_PAGES];
  const keys = new Set<PageKey>(["home"]);
  for (const page of named) {
    const key = pageKeyOf(page);
    if (key) keys.add(key);
  }
  return PAGE_KEYS.filter((key) => keys.has(key));
}

function defaultTagline(family: Family, tone: Tone, language: Language): string {
  const copy = COPY[language];
  const domain = copy.domains[family];
  return fill(copy.taglines[tone], { domain, Domain: capitalize(domain) });
}

export function normalizeBrief(raw: RawBrief): Brief {
  const businessName = clean(raw.businessName, 120);
  const industry = clean(raw.industry, 120);
  if (!businessName)
    throw new ActionRejected("The business name has no readable character.", { field: "businessName" });
  if (!industry) throw new ActionRejected("The industry has no readable character.", { field: "industry" });

  const family = industryFamily(industry);
  const language = languageOf(raw.language ?? "") ?? "en";
  const tone = toneOf(raw.tone ?? "") ?? DEFAULT_TONE[family];
  const audience = clean(raw.audience ?? "", 300) || clean(COPY[language].audiences[family], 300);
  const tagline = clean(raw.tagline ?? "", 160) || clean(defaultTagline(family, tone, language), 160);

  return {
    businessName,
    slug: slugify(businessName),
    industry,
    industryFamily: family,
    audience,
    tone,
    pages: pagesOf(raw.pages),
    contactEmail: emailOf(raw.contactEmail),
    language,
    brandColor: brandColorOf(raw.brandColor),
    tagline,
  };
}

/**
 * A site order's brief by reference: the project's order form is read and decrypted here, so
 * the run and this step's input hold only the id (src/projects/personal.ts). The output is what
 * the site will publish; the client's private contact email is not part of it.
 */
const projectBriefSchema = z.strictObject({ projectId: z.uuid() });

export const normalizeBriefAction = defineAction({
  description:
    "Cleans and completes a client brief: slug, industry family, tone, pages, language, brand colour, audience and tagline (defaults in the brief's language). " +
    "Takes the brief itself, or {projectId} to read a site order's encrypted brief.",
  input: z.union([projectBriefSchema, rawBriefSchema]),
  output: briefSchema,
  timeoutMs: 5_000,
  // Adaptive timeout (src/agents/gateway/adaptive-timeout.ts): a read and a pure transformation, no effect. A cut call is retried
  // harmlessly. The floor stays at half the static value: a loaded instance is no reason to fail it.
  adaptiveTimeout: { floorMs: 2_500 },
  handler: async (input, ctx) => {
    if (!("projectId" in input)) return normalizeBrief(input);
    const form = await readOrderForm(ctx.db, input.projectId).catch((error: unknown) => {
      // The project's data is gone (erased) or never existed: the caller's fault, not a retry.
      if (error instanceof NotFoundError) throw new ActionRejected(error.message, { field: "projectId" });
      throw error;
    });
    return normalizeBrief(rawBriefSchema.parse(briefOf(form)));
  },
});
