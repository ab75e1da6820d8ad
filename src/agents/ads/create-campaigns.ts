import { resolveBaseUrl, sitePath } from "@/sites/urls";
import { modelTimeoutFor } from "@/integrations/llm";
import { defineAction } from "../framework";
import { toCents } from "./budget";
import { draftCampaigns } from "./draft-campaigns";
import { writeCampaignCopy } from "./llm-campaigns";
import { createCampaignsInput, createCampaignsOutput } from "./schemas";

// Room for a language model to write the copy (see src/integrations/llm.ts); the templates need milliseconds.
const TIMEOUT_MS = 30_000;

/** The site's home page: `siteUrl`, or the site published on this platform. */
function homeUrl(slug: string, siteUrl: string | undefined): string {
  const url = new URL(siteUrl ?? `${resolveBaseUrl()}${sitePath(slug)}`);
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url.toString();
}

export const createCampaignsAction = defineAction({
  description:
    "Drafts 2–3 search-ad campaigns (brand, services, local or audience) in the brief's language: keywords, headlines of at most 30 characters, descriptions of at most 90, and the daily budget split to the cent.",
  input: createCampaignsInput,
  output: createCampaignsOutput,
  timeoutMs: TIMEOUT_MS,
  handler: async ({ brief, siteUrl, dailyBudgetEur }, ctx) => {
    // The template plan first: it refuses an unfundable budget before any model call, and it
    // fixes the campaigns, links and budgets whoever writes the copy.
    const plan = draftCampaigns({ brief, homeUrl: homeUrl(brief.slug, siteUrl), totalCents: toCents(dailyBudgetEur) });
    return await writeCampaignCopy({ brief, plan, signal: ctx.signal, timeoutMs: modelTimeoutFor(TIMEOUT_MS) });
  },
});
