/**
 * Copy written by a language model (design-ia.generate_content, ads.create_campaigns), with
 * the AI SDK's mock model: no network. The model writes the text, the code keeps the
 * structure, and any failure gives exactly the template output.
 */
import { APICallError } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ads } from "@/agents/ads";
import { createCampaignsOutput, type CampaignPlan } from "@/agents/ads/schemas";
import { designIa } from "@/agents/design-ia";
import type { ActionContext } from "@/agents/framework";
import { pageContentSchema, type Brief, type PageContent, type PageKey } from "@/agents/schemas";
import { DEFAULT_MODEL_IDS, selectLanguageModel, setLanguageModelForTests } from "@/integrations/llm";

const brief: Brief = {
  businessName: "Harbor Lane Bakery",
  slug: "harbor-lane-bakery",
  industry: "artisan bakery",
  industryFamily: "restaurant",
  audience: "families and coffee lovers of the old port",
  tone: "friendly",
  pages: ["home", "about", "services", "contact"],
  contactEmail: "hello@harborlane.example",
  language: "en",
  brandColor: null,
  tagline: "Fresh bread every morning",
};

function context(agent: string, action: string, signal = new AbortController().signal): ActionContext {
  // These actions store nothing: no database handle needed.
  return { db: undefined as never, agent, action, idempotencyKey: null, attempt: 1, taskId: null, signal };
}

async function content(page: PageKey, signal?: AbortSignal): Promise<PageContent> {
  const action = designIa.actions.generate_content;
  return pageContentSchema.parse(
    await action.handler(action.input.parse({ brief, page }), context("design-ia", "generate_content", signal)),
  );
}

async function campaigns(dailyBudgetEur = 17.53): Promise<CampaignPlan> {
  const action = ads.actions.create_campaigns;
  return createCampaignsOutput.parse(
    await action.handler(action.input.parse({ brief, dailyBudgetEur }), context("ads", "create_campaigns")),
  );
}

const usage = {
  inputTokens: { total: 100, noCache: 100, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 200, text: 200, reasoning: undefined },
};

/** A model that answers `text` to every call. */
function answering(text: string): MockLanguageModelV4 {
  return new MockLanguageModelV4({
    doGenerate: () =>
      Promise.resolve({
        content: [{ type: "text", text }],
        finishReason: { unified: "stop", raw: undefined },
        usage,
        warnings: [],
      }),
  });
}

function failing(error: Error): MockLanguageModelV4 {
  return new MockLanguageModelV4({ doGenerate: () => Promise.reject(error) });
}

/** What the model was asked, as one string (instructions and prompt). */
function promptOf(model: MockLanguageModelV4): string {
  return JSON.stringify(model.doGenerateCalls[0]?.prompt);
}

const homeCopy = {
  title: "Harbor Lane Bakery | Bread baked at dawn",
  metaDescription:
    "Harbor Lane Bakery bakes sourdough, pastries and cakes every morning for the families of the old port.",
  h1: "Harbor Lane Bakery",
  intro:
    "Harbor Lane Bakery is an artisan bakery by the old port. Fresh bread every morning, baked slowly and shared warmly.",
  sections: [
    {
      heading: "Baked before sunrise",
      paragraphs: ["Our ovens start at four, so your loaf is still warm when you arrive."],
      items: [],
    },
    {
      heading: "What we bake",
      paragraphs: ["A short list, done well."],
      items: [
        { title: "Sourdough", text: "Long-fermented loaves with a crackling crust." },
        { title: "Pastries", text: "Butter croissants and seasonal fruit tarts." },
      ],
    },
  ],
  ctaLabels: ["Say hello", "Email the bakery"],
};

const ORIGINAL_ENV = { ...process.env };

beforeEach(() => {
  // No real provider, whatever the developer's shell holds.
  delete process.env.ANTHROPIC_API_KEY;
  delete process.env.OPENAI_API_KEY;
  delete process.env.LLM_MODEL;
  setLanguageModelForTests(undefined);
});

afterEach(() => {
  setLanguageModelForTests(undefined);
  vi.restoreAllMocks();
  for (const key of Object.keys(process.env)) if (!(key in ORIGINAL_ENV)) delete process.env[key];
  Object.assign(process.env, ORIGINAL_ENV);
});

/** Template outputs, with no model configured. */
async function templates() {
  setLanguageModelForTests(undefined);
  return { home: await content("home"), plan: await campaigns() };
}

describe("design-ia.generate_content with a model", () => {
  it("returns the model's copy, assembled around the fields the code owns, and schema-valid", async () => {
    const { home: template } = await templates();
    const model = answering(JSON.stringify(homeCopy));
    setLanguageModelForTests(model);

    const page = await content("home");

    expect(model.doGenerateCalls).toHaveLength(1);
    expect(pageContentSchema.safeParse(page).success).toBe(true);
    expect(page).toMatchObject({ page: "home", path: "/", language: "en", navLabel: template.navLabel });
    expect(page.title).toBe(homeCopy.title);
    expect(page.metaDescription).toBe(homeCopy.metaDescription);
    for (const text of [page.title, page.h1, page.intro]) expect(text).toContain(brief.businessName);
    // An empty item list is left out, as the templates do.
    expect(page.sections[0]).toEqual({ heading: "Baked before sunrise", paragraphs: homeCopy.sections[0]?.paragraphs });
    expect(page.sections[1]?.items).toHaveLength(2);
    // The model names the buttons; the code decides where they lead.
    expect(page.ctas).toEqual(template.ctas.map((cta, i) => ({ href: cta.href, label: homeCopy.ctaLabels[i] })));
  });

  it("asks for the business, the page, the language and the limits, with a schema without the code's fields", async () => {
    const model = answering(JSON.stringify(homeCopy));
    setLanguageModelForTests(model);
    await content("home");

    const prompt = promptOf(model);
    for (const part of [
      brief.businessName,
      brief.industry,
      '\\"home\\" page',
      "English",
      "at most 60",
      "50 to 160",
      "exactly 2 button labels",
    ]) {
      expect(prompt).toContain(part);
    }
    // The contact address is only sent for the pages that speak of it.
    expect(prompt).not.toContain(brief.contactEmail);
    const format = model.doGenerateCalls[0]?.responseFormat;
    expect(format?.type).toBe("json");
    const properties = Object.keys((format as { schema: { properties: object } }).schema.properties);
    expect(properties.sort()).toEqual(["ctaLabels", "h1", "intro", "metaDescription", "sections", "title"]);
    // OpenAI's strict mode would refuse the length limits: they go non-strict, validated by the SDK.
    expect(model.doGenerateCalls[0]?.providerOptions).toEqual({ openai: { strictJsonSchema: false } });
  });
});

describe("ads.create_campaigns with a model", () => {
  it("returns the model's headlines in the template plan, with the budgets still adding up to the cent", async () => {
    const { plan: template } = await templates();
    const themes = template.campaigns.map((c) => c.theme);
    const answer = Object.fromEntries(
      themes.map((theme) => [
        theme,
        {
          headlines: [
            `Harbor Lane ${theme}`,
            "Bread Baked at Dawn",
            "Warm Loaves Daily",
            "bread baked at dawn",
            "Best Bread Ever!",
          ],
          descriptions: [
            "Sourdough, pastries and cakes, baked every morning by the old port.",
            "Drop by for a warm loaf and a friendly hello.",
          ],
          keywords: ["Harbor Lane Bakery", "artisan bakery", "sourdough bread", "artisan  bakery"],
        },
      ]),
    );
    const model = answering(JSON.stringify(answer));
    setLanguageModelForTests(model);

    const plan = await campaigns();

    expect(model.doGenerateCalls).toHaveLength(1);
    expect(createCampaignsOutput.safeParse(plan).success).toBe(true);
    expect(plan.totalDailyBudgetEur).toBe(17.53);
    expect(plan.campaigns.reduce((sum, c) => sum + Math.round(c.dailyBudgetEur * 100), 0)).toBe(1753);
    for (const [i, campaign] of plan.campaigns.entries()) {
      const own = template.campaigns[i];
      expect(campaign).toMatchObject({
        name: own?.name,
        theme: own?.theme,
        finalUrl: own?.finalUrl,
        dailyBudgetEur: own?.dailyBudgetEur,
      });
      // Cleaned like template copy: duplicates and "!" headlines dropped, keywords in lower case.
      expect(campaign.headlines).toEqual([`Harbor Lane ${campaign.theme}`, "Bread Baked at Dawn", "Warm Loaves Daily"]);
      expect(campaign.keywords).toEqual(["harbor lane bakery", "artisan bakery", "sourdough bread"]);
    }
    expect(promptOf(model)).toContain(brief.businessName);
  });
});

describe("when the model fails, the action answers with its templates", () => {
  const invalidTitle = { ...homeCopy, title: "x".repeat(61) };
  const failures: { name: string; model: () => MockLanguageModelV4 }[] = [
    { name: "an answer that is not JSON", model: () => answering('{"title": "Harbor Lane Bakery", ') },
    { name: "JSON outside the schema", model: () => answering(JSON.stringify(invalidTitle)) },
    { name: "a thrown error", model: () => failing(new Error("socket hang up")) },
    {
      name: "a provider error",
      model: () =>
        failing(
          new APICallError({
            message: "invalid x-api-key",
            url: "https://api.example/v1/messages",
            requestBodyValues: { brief },
            statusCode: 401,
            isRetryable: false,
          }),
        ),
    },
  ];

  it.each(failures)("$name → the exact template output", async ({ model: make }) => {
    const { home, plan } = await templates();
    const model = make();
    setLanguageModelForTests(model);

    expect(await content("home")).toEqual(home);
    expect(await campaigns()).toEqual(plan);
    expect(model.doGenerateCalls).toHaveLength(2);
  });

  it("stops waiting when the action's signal aborts", async () => {
    const { home } = await templates();
    const model = new MockLanguageModelV4({
      doGenerate: ({ abortSignal }) =>
        new Promise((_, reject) => {
          abortSignal?.addEventListener("abort", () => reject(new Error("aborted")));
        }),
    });
    setLanguageModelForTests(model);

    expect(await content("home", AbortSignal.timeout(20))).toEqual(home);
    expect(model.doGenerateCalls[0]?.abortSignal?.aborted).toBe(true);
  });

  it("logs a warning without the brief's personal data, and which writer answered", async () => {
    process.env.LOG_LEVEL = "info";
    const lines: string[] = [];
    const capture = (chunk: string | Uint8Array): boolean => (lines.push(String(chunk)), true);
    vi.spyOn(process.stdout, "write").mockImplementation(capture);
    vi.spyOn(process.stderr, "write").mockImplementation(capture);
    setLanguageModelForTests(
      failing(
        new APICallError({
          message: `refused: ${brief.businessName} <${brief.contactEmail}>`,
          url: "https://api.example/v1/messages",
          requestBodyValues: { brief },
          responseBody: JSON.stringify({ echo: brief.audience }),
          statusCode: 400,
          isRetryable: false,
        }),
      ),
    );

    await content("contact");

    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const warning = logged.find((entry) => entry.level === "warn");
    expect(warning).toMatchObject({
      task: "design-ia.generate_content",
      provider: "mock-provider",
      error: { name: "AI_APICallError", statusCode: 400 },
    });
    expect(logged.find((entry) => entry.level === "info")).toMatchObject({ msg: "copy written", writer: "templates" });
    const all = lines.join("\n");
    for (const personal of [brief.businessName, brief.contactEmail ?? "", brief.audience, "Harbor"])
      expect(all).not.toContain(personal);
  });

  it("logs the model as the writer when its copy is used", async () => {
    process.env.LOG_LEVEL = "info";
    const lines: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation(
      (chunk: string | Uint8Array) => (lines.push(String(chunk)), true),
    );
    setLanguageModelForTests(answering(JSON.stringify(homeCopy)));

    await content("home");

    expect(lines.map((line) => JSON.parse(line) as unknown)).toContainEqual(
      expect.objectContaining({
        level: "info",
        msg: "copy written",
        task: "design-ia.generate_content",
        writer: "model",
        modelId: "mock-model-id",
      }),
    );
  });
});

describe("without a model configured", () => {
  it("calls no model and answers with the templates", async () => {
    const model = answering(JSON.stringify(homeCopy));
    setLanguageModelForTests(model);
    setLanguageModelForTests(undefined);

    expect(selectLanguageModel()).toBeNull();
    const page = await content("home");
    await campaigns();

    expect(model.doGenerateCalls).toHaveLength(0);
    expect(page.title).not.toBe(homeCopy.title);
  });
});

describe("selectLanguageModel", () => {
  beforeEach(() => {
    // Selecting a model must not touch the network.
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new Error("no network in tests"));
  });
  afterEach(() => expect(globalThis.fetch).not.toHaveBeenCalled());

  it("picks Anthropic when ANTHROPIC_API_KEY is set, even with OPENAI_API_KEY", () => {
    process.env.ANTHROPIC_API_KEY = "sk-ant-test";
    process.env.OPENAI_API_KEY = "sk-openai-test";
    expect(selectLanguageModel()).toMatchObject({ provider: "anthropic", modelId: DEFAULT_MODEL_IDS.anthropic });
    expect(selectLanguageModel()?.model.provider).toMatch(/^anthropic/);
  });

  it("picks OpenAI when only OPENAI_API_KEY is set", () => {
    process.env.OPENAI_API_KEY = "sk-openai-test";
    process.env.ANTHROPIC_API_KEY = "  ";
    expect(selectLanguageModel()).toMatchObject({ provider: "openai", modelId: DEFAULT_MODEL_IDS.openai });
    expect(selectLanguageModel()?.model.provider).toMatch(/^openai/);
  });

  it("picks none without either key", () => {
    expect(selectLanguageModel()).toBeNull();
  });

  it("takes the model id from LLM_MODEL", () => {
    process.env.OPENAI_API_KEY = "sk-openai-test";
    process.env.LLM_MODEL = "gpt-5-mini";
    expect(selectLanguageModel()).toMatchObject({ provider: "openai", modelId: "gpt-5-mini" });
    expect(selectLanguageModel()?.model.modelId).toBe("gpt-5-mini");
  });

  it("prefers the model injected for tests", () => {
    process.env.ANTHROPIC_API_KEY = "sk-ant-test";
    setLanguageModelForTests(answering("{}"));
    expect(selectLanguageModel()).toMatchObject({ provider: "mock-provider", modelId: "mock-model-id" });
  });
});
