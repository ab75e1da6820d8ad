/**
 * ads.launch_campaign against a loopback fake of Google's OAuth token endpoint and the Google Ads
 * REST API: the dry run without credentials, the live launch with them, the search that keeps a
 * retried launch from creating a second campaign, the error classification, and the credentials
 * never leaving the action (in errors or in logs).
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConfigError, readEnv } from "@/env";
import { ads } from "@/agents/ads";
import { googleAdsMutateRequest } from "@/agents/ads/google-ads";
import { GOOGLE_ADS_API_VERSION, GOOGLE_ADS_REQUIRED, gaqlString } from "@/agents/ads/google-ads-api";
import {
  createCampaignsOutput,
  launchCampaignOutput,
  type Campaign,
  type LaunchCampaignOutput,
} from "@/agents/ads/schemas";
import { ActionRejected } from "@/agents/framework";
import type { Brief } from "@/agents/schemas";
import { bistroBrief } from "./ads-fixtures";
import { actionContext } from "../../helpers/agents";

const DEVELOPER_TOKEN = "dev-token-SECRET-0001";
const CLIENT_ID = "1234-client.apps.googleusercontent.com";
const CLIENT_SECRET = "GOCSPX-client-secret-SECRET-789";
const REFRESH_TOKEN = "1//refresh-token-SECRET-abc123";
const ACCESS_TOKEN = "ya29.access-token-SECRET-456";
const SECRETS = [DEVELOPER_TOKEN, CLIENT_SECRET, REFRESH_TOKEN, ACCESS_TOKEN];
const CUSTOMER_ID = "1234567890";
const LOGIN_CUSTOMER_ID = "1112223333";
const CUSTOMER_PATH = `/${GOOGLE_ADS_API_VERSION}/customers/${CUSTOMER_ID}`;

// ---- the fake Google --------------------------------------------------------------------

type Endpoint = "token" | "search" | "mutate";
interface Call {
  endpoint: Endpoint | "unknown";
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
/** A canned answer: a JSON value, or raw text. */
interface Reply {
  status: number;
  body: unknown;
}

interface FakeGoogle {
  base: string;
  calls: Call[];
  /** Names of the campaigns created so far, with their resource names. */
  campaigns: Map<string, string>;
  /** Answers the next call to `endpoint` with `reply` instead of the normal behaviour. */
  answerNext(endpoint: Endpoint, reply: Reply): void;
  close(): Promise<void>;
}

function endpointOf(path: string): Endpoint | "unknown" {
  if (path === "/token") return "token";
  if (path.endsWith("/googleAds:search")) return "search";
  if (path.endsWith("/googleAds:mutate")) return "mutate";
  return "unknown";
}

/** The name in `campaign.name = '<GAQL string>'`, unescaped. */
function nameInQuery(query: string): string | null {
  const match = /campaign\.name = '((?:[^'\\]|\\.)*)'/.exec(query);
  return match?.[1] === undefined ? null : match[1].replace(/\\(.)/g, "$1");
}

async function startFakeGoogle(): Promise<FakeGoogle> {
  const calls: Call[] = [];
  const campaigns = new Map<string, string>();
  const queued: Record<Endpoint, Reply[]> = { token: [], search: [], mutate: [] };
  let nextId = 1000;

  const normal = (endpoint: Endpoint, body: string): Reply => {
    if (endpoint === "token")
      return { status: 200, body: { access_token: ACCESS_TOKEN, expires_in: 3599, token_type: "Bearer" } };
    const json = JSON.parse(body) as Record<string, unknown>;
    if (endpoint === "search") {
      const name = nameInQuery(String(json.query));
      const found = name === null ? undefined : campaigns.get(name);
      return {
        status: 200,
        body: found
          ? { results: [{ campaign: { resourceName: found } }], fieldMask: "campaign.resourceName" }
          : { fieldMask: "campaign.resourceName" },
      };
    }
    const operations = json.mutateOperations as Record<string, { create: { name?: string } }>[];
    const mutateOperationResponses = operations.map((operation) => {
      const [kind, { create }] = Object.entries(operation)[0]!;
      const resource = kind.replace(/Operation$/, "");
      const resourceName = `customers/${CUSTOMER_ID}/${resource}s/${nextId++}`;
      if (resource === "campaign" && create.name) campaigns.set(create.name, resourceName);
      return { [`${resource}Result`]: { resourceName } };
    });
    return { status: 200, body: { mutateOperationResponses } };
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const path = req.url ?? "";
      const body = Buffer.concat(chunks).toString("utf8");
      const endpoint = endpointOf(path);
      calls.push({ endpoint, path, headers: req.headers, body });
      const reply =
        endpoint === "unknown"
          ? { status: 404, body: "not found" }
          : (queued[endpoint].shift() ?? normal(endpoint, body));
      const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
      res
        .writeHead(reply.status, { "content-type": typeof reply.body === "string" ? "text/plain" : "application/json" })
        .end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    calls,
    campaigns,
    answerNext: (endpoint, reply) => void queued[endpoint].push(reply),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---- helpers ----------------------------------------------------------------------------

const brief: Brief = bistroBrief;

async function draftCampaigns(from: Brief = brief): Promise<Campaign[]> {
  const action = ads.actions.create_campaigns;
  const plan = createCampaignsOutput.parse(
    await action.handler(
      action.input.parse({ brief: from, siteUrl: "https://bistro.example" }),
      actionContext("ads", "create_campaigns", { idempotencyKey: "run-1:launch" }),
    ),
  );
  return plan.campaigns;
}

async function servicesCampaign(): Promise<Campaign> {
  const campaign = (await draftCampaigns()).find((c) => c.theme === "services");
  if (!campaign) throw new Error("no services campaign");
  return campaign;
}

async function launch(campaign: Campaign): Promise<LaunchCampaignOutput> {
  const action = ads.actions.launch_campaign;
  return launchCampaignOutput.parse(
    await action.handler(
      action.input.parse({ campaign }),
      actionContext("ads", "launch_campaign", { idempotencyKey: "run-1:launch" }),
    ),
  );
}

async function launchLive(campaign: Campaign): Promise<Extract<LaunchCampaignOutput, { dryRun: false }>> {
  const output = await launch(campaign);
  if (output.dryRun) throw new Error(`expected a live launch, got a dry run: ${output.reason}`);
  return output;
}

/** The error a launch fails with. */
async function launchError(campaign: Campaign): Promise<Error> {
  try {
    await launch(campaign);
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`not an Error: ${String(error)}`);
  }
  throw new Error("the launch did not fail");
}

function configure(base: string, options: { loginCustomerId?: boolean } = {}): void {
  vi.stubEnv("GOOGLE_ADS_DEVELOPER_TOKEN", DEVELOPER_TOKEN);
  vi.stubEnv("GOOGLE_ADS_CLIENT_ID", CLIENT_ID);
  vi.stubEnv("GOOGLE_ADS_CLIENT_SECRET", CLIENT_SECRET);
  vi.stubEnv("GOOGLE_ADS_REFRESH_TOKEN", REFRESH_TOKEN);
  vi.stubEnv("GOOGLE_ADS_CUSTOMER_ID", "123-456-7890");
  if (options.loginCustomerId !== false) vi.stubEnv("GOOGLE_ADS_LOGIN_CUSTOMER_ID", "111-222-3333");
  vi.stubEnv("GOOGLE_ADS_API_URL", `${base}/`);
  vi.stubEnv("GOOGLE_OAUTH_TOKEN_URL", `${base}/token`);
}

/** Every line the logger writes from now on (at debug level), for the test to inspect. */
function captureLogs(): string[] {
  const lines: string[] = [];
  vi.stubEnv("LOG_LEVEL", "debug");
  const capture = (chunk: string | Uint8Array): boolean => (lines.push(String(chunk)), true);
  vi.spyOn(process.stdout, "write").mockImplementation(capture);
  vi.spyOn(process.stderr, "write").mockImplementation(capture);
  return lines;
}

function expectNoSecret(texts: string[]): void {
  for (const text of texts) for (const secret of SECRETS) expect(text, `leaked ${secret}`).not.toContain(secret);
}

let google: FakeGoogle;

beforeEach(async () => {
  google = await startFakeGoogle();
});

afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await google.close();
});

// ---- tests ------------------------------------------------------------------------------

describe("ads.launch_campaign without Google Ads credentials", () => {
  it("is the dry run as before: the request it would send, nothing sent, and the reason names every missing variable", async () => {
    const campaign = await servicesCampaign();
    const output = await launch(campaign);
    expect(output).toEqual({
      dryRun: true,
      network: "google_ads",
      wouldSend: googleAdsMutateRequest(campaign),
      reason: expect.stringMatching(/credentials/),
    });
    if (!output.dryRun) throw new Error("unreachable");
    expect(output.wouldSend.path).toBe("/{apiVersion}/customers/{customerId}/googleAds:mutate");
    for (const name of GOOGLE_ADS_REQUIRED) expect(output.reason).toContain(name);
    expect(google.calls).toEqual([]);
  });

  it("stays a dry run while any one is missing, and says which", async () => {
    configure(google.base);
    vi.stubEnv("GOOGLE_ADS_REFRESH_TOKEN", "");
    const output = await launch(await servicesCampaign());
    expect(output.dryRun).toBe(true);
    expect(output.reason).toContain("missing GOOGLE_ADS_REFRESH_TOKEN)");
    expect(output.reason).not.toContain("GOOGLE_ADS_CLIENT_SECRET");
    expect(google.calls).toEqual([]);
  });
});

describe("ads.launch_campaign with Google Ads credentials", () => {
  it("exchanges the refresh token, searches, then mutates with the bearer token and developer token, and answers the created resources", async () => {
    configure(google.base);
    const campaign = await servicesCampaign();
    const output = await launchLive(campaign);

    expect(google.calls.map((c) => c.endpoint)).toEqual(["token", "search", "mutate"]);
    const [token, search, mutate] = google.calls as [Call, Call, Call];

    expect(token.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(token.body))).toEqual({
      grant_type: "refresh_token",
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      refresh_token: REFRESH_TOKEN,
    });

    for (const call of [search, mutate]) {
      expect(call.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
      expect(call.headers["developer-token"]).toBe(DEVELOPER_TOKEN);
      expect(call.headers["login-customer-id"]).toBe(LOGIN_CUSTOMER_ID);
      expect(call.headers["content-type"]).toBe("application/json");
    }
    expect(search.path).toBe(`${CUSTOMER_PATH}/googleAds:search`);
    expect(JSON.parse(search.body)).toEqual({
      query: `SELECT campaign.resource_name FROM campaign WHERE campaign.name = ${gaqlString(campaign.name)} AND campaign.status != 'REMOVED'`,
    });

    // The body the dry run describes, with the customer id filled in and the temporary ids kept.
    const expected = googleAdsMutateRequest(campaign, { apiVersion: GOOGLE_ADS_API_VERSION, customerId: CUSTOMER_ID });
    expect(mutate.path).toBe(`${CUSTOMER_PATH}/googleAds:mutate`);
    expect(expected.path).toBe(`${CUSTOMER_PATH}/googleAds:mutate`);
    expect(JSON.parse(mutate.body)).toEqual(expected.body);
    expect(mutate.body).toContain(`"customers/${CUSTOMER_ID}/campaigns/-2"`);
    expect(mutate.body).not.toContain("{customerId}");
    expect(mutate.body).toContain('"status":"PAUSED"');

    const created = google.campaigns.get(campaign.name);
    expect(output).toEqual({
      dryRun: false,
      network: "google_ads",
      sent: expected,
      result: { campaignResourceName: created, resourceNames: expect.any(Array) as unknown, created: true },
      reason: expect.stringMatching(/PAUSED/),
    });
    expect(output.result.resourceNames).toHaveLength(expected.body.mutateOperations.length);
    expect(output.result.resourceNames).toContain(created);
    expect(output.result.resourceNames.every((name) => name.startsWith(`customers/${CUSTOMER_ID}/`))).toBe(true);
  });

  it("sends no login-customer-id header when no manager account is configured", async () => {
    configure(google.base, { loginCustomerId: false });
    await launchLive(await servicesCampaign());
    const [, search, mutate] = google.calls as [Call, Call, Call];
    expect(search.headers).not.toHaveProperty("login-customer-id");
    expect(mutate.headers).not.toHaveProperty("login-customer-id");
  });

  it("does not create a second campaign when launched again with the same name: the search finds the first", async () => {
    configure(google.base);
    const campaign = await servicesCampaign();
    const first = await launchLive(campaign);
    const second = await launchLive(campaign);

    expect(google.calls.map((c) => c.endpoint)).toEqual(["token", "search", "mutate", "token", "search"]);
    expect(google.campaigns.size).toBe(1);
    expect(second.sent).toBeNull();
    expect(second.result).toEqual({
      campaignResourceName: first.result.campaignResourceName,
      resourceNames: [first.result.campaignResourceName],
      created: false,
    });
    expect(second.reason).toMatch(/already exists/);
  });

  it("escapes the name in the GAQL query, so a name with a quote or a backslash is still found", async () => {
    configure(google.base);
    const campaign = { ...(await servicesCampaign()), name: String.raw`L'Atelier \ d'Anne – Services (fr, l-atelier)` };
    await launchLive(campaign);
    const search = google.calls[1]!;
    expect((JSON.parse(search.body) as { query: string }).query).toContain(
      String.raw`campaign.name = 'L\'Atelier \\ d\'Anne – Services (fr, l-atelier)'`,
    );
    expect((await launchLive(campaign)).result.created).toBe(false);
    expect(google.calls.filter((c) => c.endpoint === "mutate")).toHaveLength(1);
  });

  it("answers the campaign another attempt created between its search and its mutate (Google refuses the duplicate name)", async () => {
    configure(google.base);
    const campaign = await servicesCampaign();
    google.campaigns.set(campaign.name, `customers/${CUSTOMER_ID}/campaigns/42`);
    google.answerNext("search", { status: 200, body: {} });
    google.answerNext("mutate", {
      status: 400,
      body: {
        error: {
          code: 400,
          message: "Request contains an invalid argument.",
          status: "INVALID_ARGUMENT",
          details: [
            {
              errors: [
                {
                  errorCode: { campaignError: "DUPLICATE_CAMPAIGN_NAME" },
                  message: "A campaign with this name already exists.",
                },
              ],
            },
          ],
        },
      },
    });
    const output = await launchLive(campaign);
    expect(google.calls.map((c) => c.endpoint)).toEqual(["token", "search", "mutate", "search"]);
    expect(output.result).toEqual({
      campaignResourceName: `customers/${CUSTOMER_ID}/campaigns/42`,
      resourceNames: [`customers/${CUSTOMER_ID}/campaigns/42`],
      created: false,
    });
  });
});

describe("ads.launch_campaign failures", () => {
  const policyRefusal: Reply = {
    status: 400,
    body: {
      error: {
        code: 400,
        message: "Request contains an invalid argument.",
        status: "INVALID_ARGUMENT",
        details: [
          {
            "@type": "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure",
            errors: [
              {
                errorCode: { policyFindingError: "POLICY_FINDING" },
                message:
                  "The resource has been disapproved since the policy summary includes policy topics of type PROHIBITED.",
                location: {
                  fieldPathElements: [
                    { fieldName: "mutate_operations", index: 4 },
                    { fieldName: "ad_group_ad_operation" },
                  ],
                },
              },
            ],
            requestId: "req-123",
          },
        ],
      },
    },
  };

  it("rejects (422 unprocessable, not retried) with Google's message when the mutate answers 400", async () => {
    configure(google.base);
    google.answerNext("mutate", policyRefusal);
    const error = await launchError(await servicesCampaign());
    expect(error).toBeInstanceOf(ActionRejected);
    expect((error as ActionRejected).code).toBe("unprocessable");
    expect(error.message).toContain(
      "The resource has been disapproved since the policy summary includes policy topics of type PROHIBITED.",
    );
    expect(error.message).toContain("policyFindingError.POLICY_FINDING at mutate_operations[4].ad_group_ad_operation");
    expect((error as ActionRejected).details).toMatchObject({
      httpStatus: 400,
      status: "INVALID_ARGUMENT",
      requestId: "req-123",
    });
  });

  it("rejects a permission refusal (403) too", async () => {
    configure(google.base);
    google.answerNext("search", {
      status: 403,
      body: { error: { code: 403, message: "The caller does not have permission", status: "PERMISSION_DENIED" } },
    });
    const error = await launchError(await servicesCampaign());
    expect(error).toBeInstanceOf(ActionRejected);
    expect(error.message).toContain("The caller does not have permission");
    expect(google.calls.map((c) => c.endpoint)).toEqual(["token", "search"]);
  });

  it("rejects with 'credentials refused' when the token endpoint answers 401, and calls nothing else", async () => {
    configure(google.base);
    google.answerNext("token", { status: 401, body: { error: "invalid_client", error_description: "Unauthorized" } });
    const error = await launchError(await servicesCampaign());
    expect(error).toBeInstanceOf(ActionRejected);
    expect(error.message).toMatch(/credentials refused/);
    expect(google.calls.map((c) => c.endpoint)).toEqual(["token"]);
  });

  it.each([
    ["mutate", 503, "Service Unavailable"],
    ["mutate", 429, { error: { code: 429, message: "Resource has been exhausted", status: "RESOURCE_EXHAUSTED" } }],
    ["search", 500, { error: { code: 500, message: "Internal error encountered.", status: "INTERNAL" } }],
    ["token", 503, "backend unavailable"],
  ] as const)("fails with a plain Error, retried, when %s answers %i", async (endpoint, status, body) => {
    configure(google.base);
    google.answerNext(endpoint, { status, body });
    const error = await launchError(await servicesCampaign());
    expect(error).not.toBeInstanceOf(ActionRejected);
    expect(error.message).toContain(`HTTP ${status}`);
  });

  it("fails with a plain Error when Google cannot be reached", async () => {
    const closed = await startFakeGoogle();
    await closed.close();
    configure(closed.base);
    const error = await launchError(await servicesCampaign());
    expect(error).not.toBeInstanceOf(ActionRejected);
    expect(error.message).toMatch(/did not answer/);
  });

  it("never lets the refresh token, client secret, developer token or access token into an error or a log line, even when Google echoes them", async () => {
    const logs = captureLogs();
    configure(google.base);
    const campaign = await servicesCampaign();
    const errors: Error[] = [];

    google.answerNext("token", {
      status: 400,
      body: { error: "invalid_grant", error_description: `refresh ${REFRESH_TOKEN} for ${CLIENT_SECRET} revoked` },
    });
    errors.push(await launchError(campaign));
    google.answerNext("mutate", {
      status: 401,
      body: {
        error: {
          code: 401,
          message: `token ${ACCESS_TOKEN} with ${DEVELOPER_TOKEN} refused`,
          status: "UNAUTHENTICATED",
          details: [{ errors: [{ message: `Bearer ${ACCESS_TOKEN}` }] }],
        },
      },
    });
    errors.push(await launchError(campaign));
    google.answerNext("mutate", { status: 503, body: `upstream saw Authorization: Bearer ${ACCESS_TOKEN}` });
    errors.push(await launchError(campaign));
    const success = await launchLive(campaign);

    expect(errors.map((e) => e instanceof ActionRejected)).toEqual([true, true, false]);
    expect(errors[0]?.message).toContain("invalid_grant");
    expect(errors[1]?.message).toContain("[redacted]");
    expectNoSecret([
      ...errors.flatMap((e) => [e.message, JSON.stringify((e as Partial<ActionRejected>).details ?? null)]),
      JSON.stringify(success),
    ]);
    expect(logs.join("")).toContain("ads: Google Ads campaign created (paused)");
    expect(logs.join("")).toContain("ads: Google Ads refused the campaign");
    expectNoSecret(logs);
  });
});

describe("Google Ads configuration and campaign names", () => {
  // A configuration source (Next's types make NODE_ENV required on ProcessEnv).
  const source = (values: Record<string, string>): NodeJS.ProcessEnv => values as NodeJS.ProcessEnv;

  it("takes a customer id with or without dashes and keeps its digits; refuses anything else", () => {
    expect(readEnv(source({ GOOGLE_ADS_CUSTOMER_ID: " 123-456-7890 " })).GOOGLE_ADS_CUSTOMER_ID).toBe(CUSTOMER_ID);
    expect(readEnv(source({ GOOGLE_ADS_LOGIN_CUSTOMER_ID: "1112223333" })).GOOGLE_ADS_LOGIN_CUSTOMER_ID).toBe(
      LOGIN_CUSTOMER_ID,
    );
    for (const bad of ["123-456-789", "12345678901", "abc-def-ghij", "123--456-7890"]) {
      expect(() => readEnv(source({ GOOGLE_ADS_CUSTOMER_ID: bad })), bad).toThrow(ConfigError);
    }
  });

  it("names campaigns uniquely per site: two businesses of the same name get different names, each with its slug", async () => {
    const one = await draftCampaigns();
    const other = await draftCampaigns({ ...brief, slug: "le-petit-bistro-paris" });
    expect(one.map((c) => c.name)).toEqual([
      "Le Petit Bistro – Brand (fr, le-petit-bistro)",
      "Le Petit Bistro – Services (fr, le-petit-bistro)",
      "Le Petit Bistro – Local (fr, le-petit-bistro)",
    ]);
    const names = new Set([...one, ...other].map((c) => c.name));
    expect(names.size).toBe(one.length + other.length);
  });
});
