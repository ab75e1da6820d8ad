import { defineAgent } from "../framework";
import { createCampaignsAction } from "./create-campaigns";
import { launchCampaignAction } from "./launch-campaign";

export const ads = defineAgent({
  name: "ads",
  description: "Drafts and launches search-ad campaigns.",
  actions: {
    create_campaigns: createCampaignsAction,
    launch_campaign: launchCampaignAction,
  },
});
