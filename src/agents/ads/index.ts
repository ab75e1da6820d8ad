import { defineAgent } from "../framework";
import { googleAdsCheck, languageModelCheck } from "../probe-checks";
import { createCampaignsAction } from "./create-campaigns";
import { launchCampaignAction } from "./launch-campaign";

export const ads = defineAgent({
  name: "ads",
  description: "Drafts and launches search-ad campaigns.",
  // Probe: the database, the language model's key and the Google Ads credentials when set.
  health: [languageModelCheck, googleAdsCheck],
  // Direct calls (API key): only the actions with no effect outside their answer declare a role;
  // the rest run only as workflow steps (signed engine calls). See src/agents/access.ts.
  actions: {
    // Drafts only (a model's copy when a key is set): an operator may draft directly.
    create_campaigns: { ...createCampaignsAction, directCall: "operator" },
    // Creates campaigns on the ad network: signed-only.
    launch_campaign: launchCampaignAction,
  },
});
