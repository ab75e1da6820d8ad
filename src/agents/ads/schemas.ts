/**
 * The ads agent's contract. The ad networks' limits live here, in the output schemas, so a
 * draft that breaks one never leaves the agent (the framework validates every output).
 */
import { z } from "zod";
import { briefSchema, LANGUAGES } from "../schemas";
import { THEMES } from "./copy";
import { adTextLength, KEYWORD_MAX_LENGTH, KEYWORD_MAX_WORDS } from "./text";

/** Google Ads responsive search ads: 3–15 headlines of 30, 2–4 descriptions of 90. */
export const HEADLINE_MAX = 30;
export const DESCRIPTION_MAX = 90;
export const HEADLINES = { min: 3, max: 15 } as const;
export const DESCRIPTIONS = { min: 2, max: 4 } as const;
export const KEYWORDS = { min: 3, max: 20 } as const;

const isCaselessUnique = (values: string[]): boolean =>
  new Set(values.map((v) => v.toLowerCase())).size === values.length;
const isWholeCents = (eur: number): boolean => Math.abs(eur * 100 - Math.round(eur * 100)) < 1e-6;
const cents = (eur: number): number => Math.round(eur * 100);

const adText = (max: number) =>
  z
    .string()
    .min(1)
    .refine((text) => adTextLength(text) <= max, `at most ${max} characters (double-width characters count two)`)
    .refine((text) => text === text.trim() && !/\s{2}/.test(text), "no leading, trailing or doubled spaces");

const keyword = z
  .string()
  .min(1)
  .max(KEYWORD_MAX_LENGTH)
  .refine((k) => k === k.toLowerCase(), "lower case")
  .refine((k) => k.split(" ").length <= KEYWORD_MAX_WORDS, `at most ${KEYWORD_MAX_WORDS} words`);

const euros = z.number().positive().refine(isWholeCents, "a whole number of cents");

export const campaignSchema = z.strictObject({
  name: z.string().min(1).max(255),
  theme: z.enum(THEMES),
  language: z.enum(LANGUAGES),
  finalUrl: z.url(),
  dailyBudgetEur: euros,
  keywords: z.array(keyword).min(KEYWORDS.min).max(KEYWORDS.max).refine(isCaselessUnique, "no duplicate keywords"),
  headlines: z
    .array(adText(HEADLINE_MAX))
    .min(HEADLINES.min)
    .max(HEADLINES.max)
    .refine(isCaselessUnique, "no duplicate headlines"),
  descriptions: z.array(adText(DESCRIPTION_MAX)).min(DESCRIPTIONS.min).max(DESCRIPTIONS.max),
});
export type Campaign = z.infer<typeof campaignSchema>;

export const createCampaignsInput = z.strictObject({
  brief: briefSchema,
  /** Where the ads lead; defaults to the site published on this platform. */
  siteUrl: z.url().optional(),
  /** The total for all campaigns, rounded to the cent. */
  dailyBudgetEur: z.number().positive().max(10_000).default(20),
});

export const createCampaignsOutput = z
  .strictObject({
    currency: z.literal("EUR"),
    totalDailyBudgetEur: euros,
    campaigns: z.array(campaignSchema).min(2).max(3),
  })
  .refine(
    (plan) => plan.campaigns.reduce((sum, c) => sum + cents(c.dailyBudgetEur), 0) === cents(plan.totalDailyBudgetEur),
    "the campaign budgets add up to the total, to the cent",
  );
export type CampaignPlan = z.infer<typeof createCampaignsOutput>;

export const NETWORKS = ["google_ads"] as const;

export const launchCampaignInput = z.strictObject({
  campaign: campaignSchema,
  network: z.enum(NETWORKS).default("google_ads"),
});

/** One HTTP request to the ad network's API (in a dry run, with placeholders in braces). */
export const adsApiRequestSchema = z.strictObject({
  method: z.literal("POST"),
  path: z.string().min(1),
  body: z.strictObject({ mutateOperations: z.array(z.record(z.string(), z.unknown())).min(1) }),
});
export type AdsApiRequest = z.infer<typeof adsApiRequestSchema>;

/** Nothing was sent: the credentials are not configured. */
const launchDryRun = z.strictObject({
  dryRun: z.literal(true),
  network: z.enum(NETWORKS),
  wouldSend: adsApiRequestSchema,
  reason: z.string().min(1),
});

/** The campaign exists on the ad network (created paused by this call, or found from an earlier one). */
const launchLive = z.strictObject({
  dryRun: z.literal(false),
  network: z.enum(NETWORKS),
  /** The request sent (no credentials in it); null when a campaign of the same name already existed and nothing was created. */
  sent: adsApiRequestSchema.nullable(),
  result: z.strictObject({
    campaignResourceName: z.string().min(1),
    /** Every resource the request created (budget, campaign, criteria, ad group, ad, keywords), or the campaign found. */
    resourceNames: z.array(z.string().min(1)).min(1),
    /** False when the campaign was found rather than created (a retried or repeated launch). */
    created: z.boolean(),
  }),
  reason: z.string().min(1),
});

export const launchCampaignOutput = z.discriminatedUnion("dryRun", [launchDryRun, launchLive]);
export type LaunchCampaignOutput = z.infer<typeof launchCampaignOutput>;
