import { readEnv } from "@/env";
import { log } from "@/observability/log";
import { defineAction } from "../framework";
import { googleAdsMutateRequest } from "./google-ads";
import {
  fetchAccessToken,
  findCampaignByName,
  GOOGLE_ADS_API_VERSION,
  googleAdsConfig,
  GoogleAdsRejected,
  mutate,
  openSession,
  type GoogleAdsConfig,
} from "./google-ads-api";
import { launchCampaignInput, launchCampaignOutput, type Campaign, type LaunchCampaignOutput } from "./schemas";

// Three round trips to Google (token, search, mutate); each is also capped on its own.
const TIMEOUT_MS = 30_000;

/** Google's refusals of a name already taken in the account: the campaign's, or its budget's. */
const NAME_TAKEN = new Set(["campaignError.DUPLICATE_CAMPAIGN_NAME", "campaignBudgetError.DUPLICATE_NAME"]);

type LiveOutput = Extract<LaunchCampaignOutput, { dryRun: false }>;

function dryRunReason(missing: string[]): string {
  return (
    `Google Ads credentials are not configured (missing ${missing.join(", ")}): nothing was sent. ` +
    "wouldSend is the exact request a launch would make (campaign created paused)."
  );
}

interface LiveLaunchParams {
  campaign: Campaign;
  config: GoogleAdsConfig;
  signal: AbortSignal;
  idempotencyKey: string | null;
}

/**
 * Creates the campaign in the configured account, unless a campaign of the same name is
 * already there (a retried or repeated launch), in which case that one is answered.
 */
async function launchOnGoogleAds({ campaign, config, signal, idempotencyKey }: LiveLaunchParams): Promise<LiveOutput> {
  const session = openSession(config, signal);
  const request = googleAdsMutateRequest(campaign, {
    apiVersion: GOOGLE_ADS_API_VERSION,
    customerId: config.customerId,
  });
  const accessToken = await fetchAccessToken(session);
  const fields = { customerId: config.customerId, campaign: campaign.name, idempotencyKey };
  const found = (resourceName: string): LiveOutput => {
    log.info("ads: Google Ads campaign already exists, not created again", {
      ...fields,
      campaignResourceName: resourceName,
    });
    return {
      dryRun: false,
      network: "google_ads",
      sent: null,
      result: { campaignResourceName: resourceName, resourceNames: [resourceName], created: false },
      reason: `A campaign named "${campaign.name}" already exists in Google Ads account ${config.customerId}: nothing was created, it is answered as found.`,
    };
  };

  const existing = await findCampaignByName(session, accessToken, campaign.name);
  if (existing) return found(existing);

  let result: Awaited<ReturnType<typeof mutate>>;
  try {
    result = await mutate(session, accessToken, request.body);
  } catch (error) {
    // Another attempt created it between our search and our mutate: answer that one.
    if (error instanceof GoogleAdsRejected && error.errorCodes.some((code) => NAME_TAKEN.has(code))) {
      const raced = await findCampaignByName(session, accessToken, campaign.name);
      if (raced) return found(raced);
    }
    if (error instanceof GoogleAdsRejected)
      log.warn("ads: Google Ads refused the campaign", { ...fields, error: error.message, codes: error.errorCodes });
    throw error;
  }
  log.info("ads: Google Ads campaign created (paused)", {
    ...fields,
    campaignResourceName: result.campaignResourceName,
    resources: result.resourceNames.length,
  });
  return {
    dryRun: false,
    network: "google_ads",
    sent: request,
    result: { ...result, created: true },
    reason: `Created in Google Ads account ${config.customerId}, PAUSED: nothing spends until a person enables the campaign in Google Ads.`,
  };
}

/**
 * A dry run unless Google Ads credentials are configured (GOOGLE_ADS_DEVELOPER_TOKEN,
 * GOOGLE_ADS_CLIENT_ID, GOOGLE_ADS_CLIENT_SECRET, GOOGLE_ADS_REFRESH_TOKEN,
 * GOOGLE_ADS_CUSTOMER_ID). Without them the action sends nothing and answers the exact request
 * a launch would make (`wouldSend`), with `reason` naming what is missing.
 *
 * With them, it exchanges the refresh token for an access token and sends that request in one
 * atomic `googleAds:mutate`: the budget, campaign, language, ad group, ad and keywords are
 * created together or not at all. The campaign is created PAUSED, so nothing spends money until
 * a person enables it in Google Ads.
 *
 * Idempotency: Google Ads mutate takes no idempotency key, so `ctx.idempotencyKey` cannot make
 * Google deduplicate (it is only logged). An attempt that times out after Google created the
 * campaign would, retried blindly, create a second (paused) one. So every attempt first searches
 * for a non-removed campaign of the same name and answers it if found, without mutating; the
 * campaign name is the deduplication key, which is why draft names include the site's slug.
 * Two attempts in flight at once can both miss in the search; Google keeps campaign names unique
 * among an account's non-removed campaigns, so it refuses the later mutate (DUPLICATE_CAMPAIGN_NAME
 * or the budget's DUPLICATE_NAME), and that refusal is answered by searching again. What remains:
 * a campaign renamed in Google Ads after its launch is not found, and a new launch creates another
 * (paused) one.
 */
export const launchCampaignAction = defineAction({
  description:
    "Creates the campaign in Google Ads, PAUSED, when credentials are configured (an existing campaign of the same name is answered instead); otherwise a dry run that returns the request it would send.",
  input: launchCampaignInput,
  output: launchCampaignOutput,
  timeoutMs: TIMEOUT_MS,
  handler: async ({ campaign, network }, ctx) => {
    const google = googleAdsConfig(readEnv());
    if (!google.ok)
      return {
        dryRun: true as const,
        network,
        wouldSend: googleAdsMutateRequest(campaign),
        reason: dryRunReason(google.missing),
      };
    return await launchOnGoogleAds({
      campaign,
      config: google.config,
      signal: ctx.signal,
      idempotencyKey: ctx.idempotencyKey,
    });
  },
});
