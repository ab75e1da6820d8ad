/**
 * Deterministic search-ad drafts from a brief: the same brief always gives the same campaigns.
 *
 * Campaigns: "brand" (people searching for the business by name, when the name makes a
 * keyword), "services" (searching for what it does), and a third one when it makes sense:
 * "local" for families whose clients come from nearby, "audience" for the others when the
 * audience gives words to target. There are always two or three.
 */
import { ActionRejected } from "../framework";
import type { Brief } from "../schemas";
import { splitCents, toEur } from "./budget";
import { adCopy, type AdCopy, type Theme } from "./copy";
import { familyCopy, type FamilyInfo } from "./families";
import {
  DESCRIPTION_MAX,
  DESCRIPTIONS,
  HEADLINE_MAX,
  HEADLINES,
  KEYWORDS,
  type Campaign,
  type CampaignPlan,
} from "./schemas";
import {
  capitalize,
  cleanText,
  fillTemplate,
  shortBusinessName,
  titleCase,
  toKeyword,
  uniqueCaseless,
  type Slots,
} from "./text";

/** Share of the daily budget by theme (brand searches are few and cheap). */
const BUDGET_WEIGHT: Record<Theme, number> = { brand: 2, services: 5, local: 3, audience: 3 };
const THEME_LABEL: Record<Theme, string> = {
  brand: "Brand",
  services: "Services",
  local: "Local",
  audience: "Audience",
};

export interface DraftCampaignsParams {
  brief: Brief;
  /** Absolute URL of the site's home page, ending with "/". */
  homeUrl: string;
  totalCents: number;
}

interface Context {
  brief: Brief;
  copy: AdCopy;
  family: FamilyInfo;
  slots: Slots;
  /** The business name as a keyword, when it makes one. */
  nameKeyword: string | null;
  industryKeyword: string | null;
  /** The business name already says the industry ("Acme Bakery", "bakery"). */
  industryInName: boolean;
  /** The whole audience as a keyword when it is short, else "". */
  audienceKeyword: string;
  /** Its meaningful words. */
  audienceKeywords: string[];
}

function buildContext(brief: Brief): Context {
  const copy = adCopy(brief.language);
  const family = familyCopy(brief.industryFamily, brief.language);
  const fullName = cleanText(brief.businessName);
  const name = shortBusinessName(fullName);
  const industry = cleanText(brief.industry);
  const audience = cleanText(brief.audience);
  const Industry = brief.language === "en" ? titleCase(industry) : capitalize(industry);
  const slots: Slots = { name, fullName, industry, Industry, audience, tagline: cleanText(brief.tagline) };
  const audienceKeyword = toKeyword(audience) ?? "";
  const audienceKeywords = uniqueCaseless(
    audienceKeyword
      .split(" ")
      .filter((word) => [...word].length >= 3 && !copy.stopwords.has(word) && !/^\p{N}+$/u.test(word)),
  );
  return {
    brief,
    copy,
    family,
    slots,
    nameKeyword: toKeyword(name),
    industryKeyword: toKeyword(industry),
    industryInName: sharesWord(toKeyword(industry), toKeyword(name)),
    // "plumbing for families" reads well; "plumbing for young families in the north" does not.
    audienceKeyword: audienceKeyword.split(" ").length <= 3 ? audienceKeyword : "",
    audienceKeywords,
  };
}

/** The two keywords share a meaningful word (four letters or more): "sanitär und heizung", "müller sanitär". */
function sharesWord(a: string | null, b: string | null): boolean {
  if (!a || !b) return false;
  const words = new Set(b.split(" ").filter((word) => [...word].length >= 4));
  return a.split(" ").some((word) => words.has(word));
}

function pickThemes(ctx: Context): Theme[] {
  const third: Theme | null = ctx.family.local ? "local" : ctx.audienceKeywords.length > 0 ? "audience" : null;
  const themes: Theme[] = ctx.nameKeyword ? ["brand", "services"] : ["services"];
  if (third) themes.push(third);
  else if (themes.length < 2) themes.push("local");
  return themes;
}

/** Keyword templates filled with each of `terms`, as keywords. */
function keywordsFrom(templates: readonly string[], terms: readonly string[], slots: Slots): string[] {
  const out: string[] = [];
  for (const term of terms) {
    for (const template of templates) {
      const text = fillTemplate(template, { ...slots, term }, Number.MAX_SAFE_INTEGER);
      const kw = text === null ? null : toKeyword(text);
      if (kw) out.push(kw);
    }
  }
  return out;
}

function keywordsFor(theme: Theme, ctx: Context): string[] {
  const { copy, family, industryKeyword } = ctx;
  const subjects = [...(industryKeyword ? [industryKeyword] : []), ...family.terms];
  const slots: Slots = { ...ctx.slots, name: ctx.nameKeyword ?? "", audience: ctx.audienceKeyword };
  const candidates: string[] = [];
  if (theme === "brand") {
    // "acme bakery bakery" would say nothing more than "acme bakery".
    const extra = subjects.filter((subject) => !sharesWord(subject, ctx.nameKeyword));
    candidates.push(...keywordsFrom(copy.keywords.brand, extra.slice(0, 2), slots));
  }
  if (theme === "services") candidates.push(...subjects);
  if (theme === "local") candidates.push(...keywordsFrom(copy.keywords.local, subjects.slice(0, 3), slots));
  if (theme === "audience") {
    candidates.push(...keywordsFrom(copy.keywords.audience, subjects.slice(0, 2), slots));
    candidates.push(
      ...ctx.audienceKeywords.map((word) => toKeyword(`${industryKeyword ?? family.terms[0] ?? ""} ${word}`) ?? word),
    );
  }
  // Padding: the family's terms always give at least three distinct keywords.
  candidates.push(...family.terms);
  return uniqueCaseless(candidates).slice(0, KEYWORDS.max);
}

/** Filled templates that fit, then the always-fitting fallbacks, without duplicates. */
function fitted(templates: readonly string[], ctx: Context, max: number, limit: number): string[] {
  // "Bakery by Acme Bakery": when the name already says the industry, do not say it twice.
  const usable = ctx.industryInName
    ? templates.filter((t) => !(t.includes("{name}") && /\{industry\}/i.test(t)))
    : templates;
  const filled = usable.map((t) => fillTemplate(t, ctx.slots, max)).filter((text): text is string => text !== null);
  return uniqueCaseless(filled).slice(0, limit);
}

function headlinesFor(theme: Theme, ctx: Context): string[] {
  const { copy, family } = ctx;
  const templates = [...copy.headlines[theme], ...family.headlines, ...copy.fallbackHeadlines];
  return fitted(templates, ctx, HEADLINE_MAX, HEADLINES.max);
}

function descriptionsFor(theme: Theme, ctx: Context): string[] {
  const templates = [...ctx.copy.descriptions[theme], ...ctx.copy.fallbackDescriptions];
  return fitted(templates, ctx, DESCRIPTION_MAX, DESCRIPTIONS.max);
}

/** Where each campaign leads: the page that answers its searches, when the site has it. */
function finalUrlFor(theme: Theme, brief: Brief, homeUrl: string): string {
  const page =
    theme === "services" && brief.pages.includes("services")
      ? "services/"
      : theme === "local" && brief.pages.includes("contact")
        ? "contact/"
        : "";
  return new URL(page, homeUrl).toString();
}

/**
 * Unique per site and theme: the site's slug is in it, so two businesses of the same name do not
 * share one. A live launch relies on this: the name is how it finds a campaign it already created.
 */
function campaignName(theme: Theme, ctx: Context): string {
  const { fullName } = ctx.slots;
  const { slug, language } = ctx.brief;
  return fullName
    ? `${fullName} – ${THEME_LABEL[theme]} (${language}, ${slug})`
    : `${slug} – ${THEME_LABEL[theme]} (${language})`;
}

/**
 * The campaign plan for a brief. Refuses a budget under one cent per campaign (an ad network
 * refuses a zero budget, and no split can avoid one).
 */
export function draftCampaigns({ brief, homeUrl, totalCents }: DraftCampaignsParams): CampaignPlan {
  const ctx = buildContext(brief);
  const themes = pickThemes(ctx);
  if (totalCents < themes.length) {
    throw new ActionRejected(
      `a daily budget of ${toEur(totalCents).toFixed(2)} EUR cannot fund ${themes.length} campaigns (at least 0.01 EUR each)`,
    );
  }
  const budgets = splitCents(
    totalCents,
    themes.map((theme) => BUDGET_WEIGHT[theme]),
  );
  const campaigns = themes.map(
    (theme, i): Campaign => ({
      name: campaignName(theme, ctx),
      theme,
      language: brief.language,
      finalUrl: finalUrlFor(theme, brief, homeUrl),
      dailyBudgetEur: toEur(budgets[i] ?? 0),
      keywords: keywordsFor(theme, ctx),
      headlines: headlinesFor(theme, ctx),
      descriptions: descriptionsFor(theme, ctx),
    }),
  );
  return { currency: "EUR", totalDailyBudgetEur: toEur(totalCents), campaigns };
}
