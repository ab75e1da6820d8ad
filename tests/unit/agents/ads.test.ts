import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ads } from "@/agents/ads";
import { splitCents } from "@/agents/ads/budget";
import { adCopy, THEMES } from "@/agents/ads/copy";
import { FAMILY_NAMES, familyCopy } from "@/agents/ads/families";
import { createCampaignsOutput, launchCampaignOutput, type Campaign, type CampaignPlan } from "@/agents/ads/schemas";
import { adTextLength } from "@/agents/ads/text";
import { FAMILIES as DESIGN_FAMILIES } from "@/agents/design-ia/vocabulary";
import { ActionRejected } from "@/agents/framework";
import { briefSchema, LANGUAGES, PAGE_KEYS, TONES, type Brief } from "@/agents/schemas";
import { bistroBrief } from "./ads-fixtures";
import { actionContext } from "../../helpers/agents";

async function createCampaigns(raw: {
  brief: Brief;
  siteUrl?: string;
  dailyBudgetEur?: number;
}): Promise<CampaignPlan> {
  const action = ads.actions.create_campaigns;
  return createCampaignsOutput.parse(
    await action.handler(action.input.parse(raw), actionContext("ads", "create_campaigns")),
  );
}

async function launch(campaign: Campaign) {
  const action = ads.actions.launch_campaign;
  const output = launchCampaignOutput.parse(
    await action.handler(action.input.parse({ campaign }), actionContext("ads", "launch_campaign")),
  );
  // No Google Ads credentials in tests (tests/helpers/setup.ts): always the dry run.
  if (!output.dryRun) throw new Error("expected a dry run");
  return output;
}

const baseBrief: Brief = bistroBrief;

// ---- arbitrary briefs -------------------------------------------------------------------

/** Text up to `max` UTF-16 units: ASCII, graphemes, any code point, words, or very long. */
function text(max: number): fc.Arbitrary<string> {
  const words = fc
    .array(
      fc.constantFrom(
        "Acme",
        "Boulangerie",
        "Müller",
        "株式会社",
        "Ωmega",
        "Sørensen",
        "&",
        "Ltd",
        "d'Or",
        "ÉCOLE",
        "ß",
        "🍕",
        "İstanbul",
      ),
      { minLength: 1, maxLength: 40 },
    )
    .map((ws) => ws.join(" "));
  return fc
    .oneof(
      fc.string({ minLength: 1, maxLength: max }),
      fc.string({ unit: "grapheme", minLength: 1, maxLength: max }),
      fc.string({ unit: "binary", minLength: 1, maxLength: max }),
      fc.string({ minLength: max, maxLength: max }),
      words,
    )
    .map((s) => s.slice(0, max));
}

const slug = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/);
const pages = fc
  .subarray(PAGE_KEYS.filter((p) => p !== "home"))
  .map((rest) => PAGE_KEYS.filter((p) => p === "home" || rest.includes(p)));

const briefArb: fc.Arbitrary<Brief> = fc
  .record({
    businessName: text(120),
    slug,
    industry: text(120),
    industryFamily: fc.oneof(fc.constantFrom(...FAMILY_NAMES), text(40)),
    audience: text(300),
    tone: fc.constantFrom(...TONES),
    pages,
    contactEmail: fc.constantFrom(null, "hello@example.com"),
    language: fc.constantFrom(...LANGUAGES),
    brandColor: fc.constantFrom(null, "#1a2b3c"),
    tagline: text(160),
  })
  .map((brief) => briefSchema.parse(brief));

/** Budgets from the smallest that funds three campaigns up to the maximum, any precision. */
const budgetArb = fc.oneof(
  fc.integer({ min: 3, max: 1_000_000 }).map((c) => c / 100),
  fc.double({ min: 0.03, max: 10_000, noNaN: true }),
);

// ---- "no word cut": every headline word is a whole word of the brief or of the copy ---------

const token = (word: string): string => word.replace(/^\p{P}+|\p{P}+$/gu, "").toUpperCase();
const tokens = (value: string): string[] =>
  value
    .split(/[\s\p{C}]+/u)
    .map(token)
    .filter(Boolean);

const copyVocabulary = new Set(
  LANGUAGES.flatMap((language) => {
    const copy = adCopy(language);
    const templates = [
      ...THEMES.flatMap((theme) => [...copy.headlines[theme], ...copy.descriptions[theme]]),
      ...copy.fallbackHeadlines,
      ...copy.fallbackDescriptions,
      ...FAMILY_NAMES.flatMap((family) => familyCopy(family, language).headlines),
    ];
    return templates.flatMap((t) => tokens(t.replace(/\{\w+\}/g, " ")));
  }),
);

function wordsCut(headline: string, brief: Brief): string[] {
  const vocabulary = new Set([
    ...copyVocabulary,
    ...[brief.businessName, brief.industry, brief.audience, brief.tagline].flatMap(tokens),
  ]);
  return tokens(headline).filter((word) => !vocabulary.has(word));
}

const cents = (eur: number): number => Math.round(eur * 100);

describe("ads.create_campaigns over arbitrary briefs", () => {
  it("answers 2–3 campaigns that pass the output schema, with headlines ≤ 30 and descriptions ≤ 90", async () => {
    await fc.assert(
      fc.asyncProperty(briefArb, budgetArb, async (brief, dailyBudgetEur) => {
        const plan = await createCampaigns({ brief, dailyBudgetEur });
        expect(plan.campaigns.length).toBeGreaterThanOrEqual(2);
        expect(plan.campaigns.length).toBeLessThanOrEqual(3);
        for (const campaign of plan.campaigns) {
          for (const h of campaign.headlines) expect(Math.max(h.length, adTextLength(h))).toBeLessThanOrEqual(30);
          for (const d of campaign.descriptions) expect(Math.max(d.length, adTextLength(d))).toBeLessThanOrEqual(90);
          expect(campaign.headlines.length).toBeGreaterThanOrEqual(3);
          expect(campaign.descriptions.length).toBeGreaterThanOrEqual(2);
          expect(campaign.keywords.every((k) => k === k.toLowerCase())).toBe(true);
          expect(new Set(campaign.keywords).size).toBe(campaign.keywords.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("never cuts a headline mid-word: each word is a whole word of the brief or of the copy templates", async () => {
    await fc.assert(
      fc.asyncProperty(briefArb, async (brief) => {
        const plan = await createCampaigns({ brief });
        for (const headline of plan.campaigns.flatMap((c) => c.headlines))
          expect(wordsCut(headline, brief), headline).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("splits the daily budget so the campaign parts add up to the total exactly, in cents", async () => {
    await fc.assert(
      fc.asyncProperty(briefArb, budgetArb, async (brief, dailyBudgetEur) => {
        const plan = await createCampaigns({ brief, dailyBudgetEur });
        expect(plan.totalDailyBudgetEur).toBe(cents(dailyBudgetEur) / 100);
        expect(plan.campaigns.reduce((sum, c) => sum + cents(c.dailyBudgetEur), 0)).toBe(
          cents(plan.totalDailyBudgetEur),
        );
        for (const c of plan.campaigns) expect(cents(c.dailyBudgetEur)).toBeGreaterThanOrEqual(1);
      }),
    );
  });

  it("writes every campaign in the brief's language", async () => {
    await fc.assert(
      fc.asyncProperty(briefArb, async (brief) => {
        const plan = await createCampaigns({ brief });
        const own = new Set(adCopy(brief.language).fallbackHeadlines);
        const others = LANGUAGES.filter((l) => l !== brief.language).flatMap((l) => adCopy(l).fallbackHeadlines);
        for (const campaign of plan.campaigns) {
          expect(campaign.language).toBe(brief.language);
          expect(campaign.headlines.some((h) => own.has(h))).toBe(true);
          expect(campaign.headlines.filter((h) => others.includes(h))).toEqual([]);
        }
      }),
    );
  });

  it("is deterministic: the same brief gives the same plan", async () => {
    await fc.assert(
      fc.asyncProperty(briefArb, async (brief) => {
        expect(await createCampaigns({ brief })).toEqual(await createCampaigns({ brief }));
      }),
      { numRuns: 50 },
    );
  });
});

describe("ads.create_campaigns on concrete briefs", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("drafts brand, services and local campaigns for a local business, with keywords from the brief", async () => {
    const plan = await createCampaigns({ brief: baseBrief, dailyBudgetEur: 25 });
    expect(plan.campaigns.map((c) => c.theme)).toEqual(["brand", "services", "local"]);
    const [brand, services] = plan.campaigns;
    expect(brand?.keywords).toContain("le petit bistro");
    expect(brand?.headlines).toContain("Le Petit Bistro");
    expect(services?.keywords).toEqual(expect.arrayContaining(["bistrot lyonnais", "restaurant"]));
    expect(plan.campaigns.map((c) => c.dailyBudgetEur)).toEqual([5, 12.5, 7.5]);
  });

  it("targets the audience instead of the neighbourhood for a business that is not local", async () => {
    const brief: Brief = {
      ...baseBrief,
      language: "en",
      industry: "custom software",
      industryFamily: "tech",
      audience: "startups",
      businessName: "Northwind Ltd",
    };
    const plan = await createCampaigns({ brief });
    expect(plan.campaigns.map((c) => c.theme)).toEqual(["brand", "services", "audience"]);
    expect(plan.campaigns[2]?.keywords).toContain("custom software for startups");
    // The legal form is left out of brand headlines and keywords.
    expect(plan.campaigns[0]?.headlines).toContain("Northwind Official Site");
    expect(plan.campaigns[0]?.keywords[0]).toBe("northwind");
  });

  it("does not repeat the industry when the business name already says it", async () => {
    const brief: Brief = { ...baseBrief, language: "en", businessName: "Tom & Jerry Bakery", industry: "Bakery" };
    const plan = await createCampaigns({ brief });
    const all = plan.campaigns.flatMap((c) => [...c.headlines, ...c.descriptions, ...c.keywords]);
    expect(all.filter((text) => (text.toLowerCase().match(/bakery/g) ?? []).length > 1)).toEqual([]);
    expect(plan.campaigns[0]?.headlines).toContain("Tom & Jerry Bakery");
  });

  it("drops the brand campaign when the name makes no keyword, and still drafts two", async () => {
    const plan = await createCampaigns({ brief: { ...baseBrief, businessName: "!!! ???" } });
    expect(plan.campaigns.map((c) => c.theme)).toEqual(["services", "local"]);
  });

  it("drops, rather than cuts, templates a very long name does not fit", async () => {
    const businessName = "Établissements Gastronomiques Lyonnais Réunis de la Presqu'île";
    const plan = await createCampaigns({ brief: { ...baseBrief, businessName } });
    const headlines = plan.campaigns.flatMap((c) => c.headlines);
    expect(headlines.filter((h) => h.includes("Établissements"))).toEqual([]);
    expect(plan.campaigns[0]?.keywords[0]).toBe("établissements gastronomiques lyonnais réunis de la presqu'île");
  });

  it("leads to siteUrl, or to the site published on this platform (PUBLIC_BASE_URL)", async () => {
    const own = await createCampaigns({ brief: baseBrief, siteUrl: "https://bistro.example" });
    expect(own.campaigns.map((c) => c.finalUrl)).toEqual([
      "https://bistro.example/",
      "https://bistro.example/services/",
      "https://bistro.example/contact/",
    ]);
    vi.stubEnv("PUBLIC_BASE_URL", "https://sites.example.com/");
    const hosted = await createCampaigns({ brief: { ...baseBrief, pages: ["home"] } });
    expect(new Set(hosted.campaigns.map((c) => c.finalUrl))).toEqual(
      new Set(["https://sites.example.com/sites/le-petit-bistro/"]),
    );
  });

  it("falls back to http://localhost:3000 when PUBLIC_BASE_URL is not set", async () => {
    vi.stubEnv("PUBLIC_BASE_URL", "");
    const plan = await createCampaigns({ brief: baseBrief });
    expect(plan.campaigns[0]?.finalUrl).toBe("http://localhost:3000/sites/le-petit-bistro/");
  });

  it("uses a 20 EUR daily budget by default", async () => {
    expect((await createCampaigns({ brief: baseBrief })).totalDailyBudgetEur).toBe(20);
  });

  it("refuses a budget below one cent per campaign", async () => {
    await expect(createCampaigns({ brief: baseBrief, dailyBudgetEur: 0.02 })).rejects.toBeInstanceOf(ActionRejected);
  });
});

describe("ad copy tables", () => {
  it("know every industry family normalize_brief produces", () => {
    expect([...FAMILY_NAMES].sort()).toEqual([...DESIGN_FAMILIES].sort());
  });

  it("keep every slot-free headline within 30 and description within 90, and family terms in lower case", () => {
    for (const language of LANGUAGES) {
      const copy = adCopy(language);
      for (const h of copy.fallbackHeadlines) expect(adTextLength(h), h).toBeLessThanOrEqual(30);
      for (const d of copy.fallbackDescriptions) expect(adTextLength(d), d).toBeLessThanOrEqual(90);
      for (const family of FAMILY_NAMES) {
        const { terms, headlines } = familyCopy(family, language);
        for (const h of headlines) expect(adTextLength(h), h).toBeLessThanOrEqual(30);
        expect(new Set(terms).size).toBeGreaterThanOrEqual(3);
        for (const t of terms) expect(t).toBe(t.toLowerCase());
      }
    }
  });
});

describe("splitCents", () => {
  it("gives each part at least one cent and sums to the total exactly", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        (weights, extra) => {
          const total = weights.length + extra;
          const parts = splitCents(total, weights);
          expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
          expect(Math.min(...parts)).toBeGreaterThanOrEqual(1);
        },
      ),
    );
  });

  it("follows the weights", () => {
    expect(splitCents(1000, [2, 5, 3])).toEqual([200, 500, 300]);
    expect(splitCents(1001, [2, 5, 3])).toEqual([201, 500, 300]);
  });
});

describe("ads.launch_campaign", () => {
  it("is always a dry run that answers the request an ads API would receive, with the whole campaign in it", async () => {
    const plan = await createCampaigns({ brief: baseBrief, dailyBudgetEur: 25 });
    const campaign = plan.campaigns[1];
    if (!campaign) throw new Error("no services campaign");
    const result = await launch(campaign);
    expect(result.dryRun).toBe(true);
    expect(result.network).toBe("google_ads");
    expect(result.reason).toMatch(/credentials/);
    const sent = JSON.stringify(result.wouldSend);
    for (const text of [
      ...campaign.headlines,
      ...campaign.descriptions,
      ...campaign.keywords,
      campaign.finalUrl,
      campaign.name,
    ]) {
      expect(sent).toContain(JSON.stringify(text));
    }
    const ops = result.wouldSend.body.mutateOperations;
    expect(ops[0]).toMatchObject({ campaignBudgetOperation: { create: { amountMicros: "12500000" } } });
    expect(ops[1]).toMatchObject({
      campaignOperation: { create: { status: "PAUSED", advertisingChannelType: "SEARCH" } },
    });
    expect(ops[2]).toMatchObject({
      campaignCriterionOperation: { create: { language: { languageConstant: "languageConstants/1002" } } },
    });
    expect(ops.filter((op) => "adGroupCriterionOperation" in op)).toHaveLength(campaign.keywords.length);
  });

  it("refuses a campaign that breaks the ad limits", async () => {
    const plan = await createCampaigns({ brief: baseBrief });
    const campaign = plan.campaigns[0];
    if (!campaign) throw new Error("no campaign");
    const tooLong = {
      ...campaign,
      headlines: [...campaign.headlines.slice(0, 2), "A headline far longer than thirty characters"],
    };
    expect(ads.actions.launch_campaign.input.safeParse({ campaign: tooLong }).success).toBe(false);
  });
});
