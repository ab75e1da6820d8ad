import { readEnv } from "@/env";
import { defineAction } from "../framework";
import { toCents } from "./budget";
import { draftCampaigns } from "./draft-campaigns";
import { createCampaignsInput, createCampaignsOutput } from "./schemas";

/** The site's home page: `siteUrl`, or the site published on this platform. */
function homeUrl(slug: string, siteUrl: string | undefined): string {
  const base = readEnv().PUBLIC_BASE_URL ?? "http://localhost:3000";
  const url = new URL(siteUrl ?? `${base.replace(/\/+$/, "")}/sites/${slug}/`);
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url.toString();
}

export const createCampaignsAction = defineAction({
  description:
    "Drafts 2–3 search-ad campaigns (brand, services, local or audience) in the brief's language: keywords, headlines of at most 30 characters, descriptions of at most 90, and the daily budget split to the cent.",
  input: createCampaignsInput,
  output: createCampaignsOutput,
  timeoutMs: 10_000,
  handler: ({ brief, siteUrl, dailyBudgetEur }) =>
    Promise.resolve(draftCampaigns({ brief, homeUrl: homeUrl(brief.slug, siteUrl), totalCents: toCents(dailyBudgetEur) })),
});
