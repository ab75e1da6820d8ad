/**
 * The Google Ads API request that would create one campaign: a single
 * `customers/{customerId}/googleAds:mutate` call whose operations refer to each other through
 * temporary resource names (negative ids), so the budget, campaign, language target, ad group,
 * responsive search ad and keywords are created together or not at all.
 *
 * The dry run leaves `{apiVersion}` and `{customerId}` as placeholders; a live launch fills them
 * in (see google-ads-api.ts). The campaign is created PAUSED, so a person reviews it before it
 * spends.
 */
import type { AdsApiRequest, Campaign } from "./schemas";
import { toCents } from "./budget";

/** Where the request goes: an API version (`v26`) and a customer id (digits only). */
export interface GoogleAdsTarget {
  apiVersion: string;
  customerId: string;
}

const PLACEHOLDERS: GoogleAdsTarget = { apiVersion: "{apiVersion}", customerId: "{customerId}" };

/** Google's criterion ids for the brief languages. */
const LANGUAGE_CONSTANT: Record<Campaign["language"], string> = {
  en: "languageConstants/1000",
  de: "languageConstants/1001",
  fr: "languageConstants/1002",
  es: "languageConstants/1003",
  it: "languageConstants/1004",
};

/** One euro is a million micros; int64 fields travel as strings in the API's JSON. */
function eurToMicros(eur: number): string {
  return String(toCents(eur) * 10_000);
}

export function googleAdsMutateRequest(campaign: Campaign, target: GoogleAdsTarget = PLACEHOLDERS): AdsApiRequest {
  const customer = `customers/${target.customerId}`;
  const budget = `${customer}/campaignBudgets/-1`;
  const campaignName = `${customer}/campaigns/-2`;
  const adGroup = `${customer}/adGroups/-3`;
  // Brand searches should match the name closely; the others may vary around the phrase.
  const matchType = campaign.theme === "brand" ? "EXACT" : "PHRASE";
  return {
    method: "POST",
    path: `/${target.apiVersion}/${customer}/googleAds:mutate`,
    body: {
      mutateOperations: [
        {
          campaignBudgetOperation: {
            create: {
              resourceName: budget,
              name: `${campaign.name} – budget`,
              amountMicros: eurToMicros(campaign.dailyBudgetEur),
              deliveryMethod: "STANDARD",
              explicitlyShared: false,
            },
          },
        },
        {
          campaignOperation: {
            create: {
              resourceName: campaignName,
              name: campaign.name,
              status: "PAUSED",
              advertisingChannelType: "SEARCH",
              campaignBudget: budget,
              targetSpend: {},
              networkSettings: {
                targetGoogleSearch: true,
                targetSearchNetwork: true,
                targetContentNetwork: false,
                targetPartnerSearchNetwork: false,
              },
              containsEuPoliticalAdvertising: "DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING",
            },
          },
        },
        {
          campaignCriterionOperation: {
            create: { campaign: campaignName, language: { languageConstant: LANGUAGE_CONSTANT[campaign.language] } },
          },
        },
        {
          adGroupOperation: {
            create: {
              resourceName: adGroup,
              name: `${campaign.name} – ${campaign.theme}`,
              campaign: campaignName,
              status: "ENABLED",
              type: "SEARCH_STANDARD",
            },
          },
        },
        {
          adGroupAdOperation: {
            create: {
              adGroup,
              status: "ENABLED",
              ad: {
                finalUrls: [campaign.finalUrl],
                responsiveSearchAd: {
                  headlines: campaign.headlines.map((text) => ({ text })),
                  descriptions: campaign.descriptions.map((text) => ({ text })),
                },
              },
            },
          },
        },
        ...campaign.keywords.map((text) => ({
          adGroupCriterionOperation: { create: { adGroup, status: "ENABLED", keyword: { text, matchType } } },
        })),
      ],
    },
  };
}
