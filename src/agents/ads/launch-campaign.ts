import { defineAction } from "../framework";
import { googleAdsMutateRequest } from "./google-ads";
import { launchCampaignInput, launchCampaignOutput } from "./schemas";

const DRY_RUN_REASON =
  "No ad-network credentials are configured in this product: nothing was sent. wouldSend is the exact request a launch would make (campaign created paused).";

/**
 * Always a dry run. This product holds no ad-network credentials yet, so the action sends
 * nothing: it answers the exact request an ads API would receive (`wouldSend`), and the
 * step's recorded output is the record of what a launch would have done.
 */
export const launchCampaignAction = defineAction({
  description: "Dry run: returns the ad-network API request that would create the campaign (no credentials are configured, nothing is sent).",
  input: launchCampaignInput,
  output: launchCampaignOutput,
  timeoutMs: 10_000,
  handler: ({ campaign, network }) => Promise.resolve({ dryRun: true as const, network, wouldSend: googleAdsMutateRequest(campaign), reason: DRY_RUN_REASON }),
});
