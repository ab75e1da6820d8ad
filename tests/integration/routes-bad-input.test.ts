/**
 * The HTTP contract of PRODUCT.md §4, on every route: malformed JSON → 400, wrong content type
 * → 415, body over the limit → 413, no key → 401, a role too low → 403, always the JSON error
 * body and never a 500. The table must name every exported handler (a new route without a row
 * fails the completeness test).
 */
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createApiKey } from "@/auth/api-keys";
import type { Role } from "@/auth/roles";
import { parseDefinition } from "@/engine/definition";
import { registerDefinition } from "@/engine/registry";
import { getSecret } from "@/env";
import type { RouteHandler } from "@/http/wrappers";
import { describeDb } from "../helpers/db";
import { readFileSync } from "node:fs";
import Stripe from "stripe";
import { createHmac, randomUUID } from "node:crypto";
import { signRequest } from "@/auth/signature";
import { call, type CallOptions } from "../helpers/http";
import { exportedMethods, importRoute, routeFiles } from "../helpers/routes";

interface RouteCase {
  file: string;
  method: string;
  path: string;
  params?: Record<string, string | string[]>;
  /** Minimum role, "public", "cron" (`Bearer CRON_SECRET`), "signed" (X-Orchestrator-Signature), "stripe" (Stripe-Signature), or "shopify" (X-Shopify-Hmac-Sha256). */
  auth: Role | "public" | "cron" | "signed" | "stripe" | "shopify";
  /** The route stores any JSON body as it is (a provider's delivery, validated when processed). */
  anyJson?: boolean;
  /** A valid body, for routes that read JSON. */
  body?: unknown;
  /** The code of a JSON body that fails the schema, when not `validation_failed`. */
  invalidBodyCode?: string;
  /** A query string that fails validation, for routes that read one. */
  badQuery?: string;
  /** The status a well-formed call gets (the catch-all answers 404). */
  okStatus: number;
}

const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";
const CONTRACT_FLOW = { name: "contract-flow", steps: [{ name: "nap", sleep: "1s" }] };
const CATCH_ALL = "api/[...path]/route.ts";
const STRIPE_WEBHOOK_SECRET = "whsec_contract_test_secret";
const SHOPIFY_WEBHOOK_SECRET = "shpss_contract_test_secret";
const CONTRACT_BRIEF = {
  businessName: "Contract Café",
  slug: "contract-cafe",
  industry: "restaurant",
  industryFamily: "restaurant",
  audience: "people nearby",
  tone: "friendly",
  pages: ["home", "contact"],
  contactEmail: null,
  language: "en",
  brandColor: null,
  tagline: "Good food, close by",
};

const CASES: RouteCase[] = [
  { file: "api/health/route.ts", method: "GET", path: "/api/health", auth: "public", okStatus: 200 },
  { file: "api/health/self/route.ts", method: "GET", path: "/api/health/self", auth: "cron", okStatus: 200 },
  { file: "api/keys/route.ts", method: "GET", path: "/api/keys", auth: "admin", badQuery: "?limit=abc", okStatus: 200 },
  {
    file: "api/keys/route.ts",
    method: "POST",
    path: "/api/keys",
    auth: "admin",
    body: { name: "contract", role: "viewer" },
    okStatus: 201,
  },
  {
    file: "api/keys/[id]/route.ts",
    method: "DELETE",
    path: `/api/keys/${UNKNOWN_ID}`,
    params: { id: UNKNOWN_ID },
    auth: "admin",
    okStatus: 404,
  },
  {
    file: "api/audit/route.ts",
    method: "GET",
    path: "/api/audit",
    auth: "admin",
    badQuery: "?cursor=-4",
    okStatus: 200,
  },
  { file: "api/workflows/route.ts", method: "GET", path: "/api/workflows", auth: "viewer", okStatus: 200 },
  {
    file: "api/workflows/[name]/route.ts",
    method: "PUT",
    path: "/api/workflows/contract-flow",
    params: { name: "contract-flow" },
    auth: "admin",
    body: CONTRACT_FLOW,
    invalidBodyCode: "invalid_definition",
    okStatus: 201,
  },
  {
    file: "api/workflows/[name]/route.ts",
    method: "GET",
    path: "/api/workflows/no-such-flow",
    params: { name: "no-such-flow" },
    auth: "viewer",
    badQuery: "?version=abc",
    okStatus: 404,
  },
  {
    file: "api/workflows/[name]/route.ts",
    method: "POST",
    path: "/api/workflows/no-such-flow",
    params: { name: "no-such-flow" },
    auth: "operator",
    body: {},
    okStatus: 404,
  },
  {
    file: "api/workflows/[name]/runs/route.ts",
    method: "POST",
    path: "/api/workflows/no-such-flow/runs",
    params: { name: "no-such-flow" },
    auth: "operator",
    body: { runs: [{}] },
    okStatus: 404,
  },
  {
    file: "api/workflows/[name]/dry-run/route.ts",
    method: "POST",
    path: "/api/workflows/contract-flow/dry-run",
    params: { name: "contract-flow" },
    auth: "operator",
    body: { definition: CONTRACT_FLOW, input: {} },
    okStatus: 200,
  },
  {
    file: "api/workflows/schema.json/route.ts",
    method: "GET",
    path: "/api/workflows/schema.json",
    auth: "public",
    okStatus: 200,
  },
  { file: "api/orchestration/route.ts", method: "GET", path: "/api/orchestration", auth: "viewer", okStatus: 200 },
  {
    file: "api/orchestration/runs/route.ts",
    method: "GET",
    path: "/api/orchestration/runs",
    auth: "viewer",
    badQuery: "?cursor=not-a-cursor",
    okStatus: 200,
  },
  {
    file: "api/orchestration/runs/[id]/route.ts",
    method: "GET",
    path: `/api/orchestration/runs/${UNKNOWN_ID}`,
    params: { id: UNKNOWN_ID },
    auth: "viewer",
    okStatus: 404,
  },
  ...(["cancel", "retry"] as const).map(
    (action): RouteCase => ({
      file: `api/orchestration/runs/[id]/${action}/route.ts`,
      method: "POST",
      path: `/api/orchestration/runs/${UNKNOWN_ID}/${action}`,
      params: { id: UNKNOWN_ID },
      auth: "operator",
      body: {},
      okStatus: 404,
    }),
  ),
  {
    file: "api/orchestration/tick/route.ts",
    method: "GET",
    path: "/api/orchestration/tick",
    auth: "cron",
    okStatus: 200,
  },
  {
    file: "api/orchestration/tick/route.ts",
    method: "POST",
    path: "/api/orchestration/tick",
    auth: "cron",
    okStatus: 202,
  },
  {
    file: "api/events/route.ts",
    method: "POST",
    path: "/api/events",
    auth: "operator",
    body: { topic: "contract.test", data: { n: 1 } },
    okStatus: 202,
  },
  {
    file: "api/events/route.ts",
    method: "GET",
    path: "/api/events",
    auth: "viewer",
    badQuery: "?limit=0",
    okStatus: 200,
  },
  { file: "api/agents/route.ts", method: "GET", path: "/api/agents", auth: "viewer", okStatus: 200 },
  // The agents' result cache (issue 17).
  {
    file: "api/agents/cache/route.ts",
    method: "GET",
    path: "/api/agents/cache",
    auth: "viewer",
    badQuery: "?windowMinutes=0",
    okStatus: 200,
  },
  {
    file: "api/agents/cache/route.ts",
    method: "DELETE",
    path: "/api/agents/cache?agent=design-ia&action=generate_design",
    auth: "operator",
    badQuery: "&key=not-a-key",
    okStatus: 200,
  },
  { file: "api/health/agents/route.ts", method: "GET", path: "/api/health/agents", auth: "viewer", okStatus: 200 },
  {
    file: "api/orchestration/webhooks/route.ts",
    method: "POST",
    path: "/api/orchestration/webhooks",
    auth: "signed",
    body: { type: "task_progress", taskId: "1.1", progress: { percent: 5 } },
    okStatus: 409,
  },
  {
    file: "api/projects/route.ts",
    method: "POST",
    path: "/api/projects",
    auth: "public",
    body: {
      businessName: "Contract Café",
      industry: "restaurant",
      audience: "neighbours",
      tone: "friendly",
      pages: ["home"],
      contactEmail: "owner@contract.example",
      language: "en",
    },
    okStatus: 201,
  },
  {
    file: "api/projects/[id]/route.ts",
    method: "GET",
    path: `/api/projects/${UNKNOWN_ID}?token=x`,
    params: { id: UNKNOWN_ID },
    auth: "public",
    okStatus: 404,
  },
  {
    file: "api/webhooks/stripe/route.ts",
    method: "POST",
    path: "/api/webhooks/stripe",
    auth: "stripe",
    body: { id: "evt_contract", object: "event", type: "customer.created", data: { object: { id: "cus_1" } } },
    okStatus: 200,
  },
  // Each agent's route: one real action an operator key may call directly (src/agents/access.ts)
  // with a JSON body, and the GET probe. (automation's only such action, build_site, needs a whole
  // design and content: its input check answers here.)
  ...(
    [
      ["design-ia", "normalize_brief", { businessName: "Contract Café", industry: "restaurant" }, 200, "operator"],
      ["automation", "build_site", { brief: CONTRACT_BRIEF, design: {}, pages: [] }, 400, "operator"],
      ["ads", "create_campaigns", { brief: CONTRACT_BRIEF }, 200, "operator"],
      ["core", "health", {}, 200, "viewer"],
      ["orders", "validate_order", { orderId: UNKNOWN_ID }, 404, "operator"],
    ] as const
  ).flatMap(([agent, action, body, okStatus, auth]): RouteCase[] => [
    {
      file: `api/agents/${agent}/[action]/route.ts`,
      method: "POST",
      path: `/api/agents/${agent}/${action}`,
      params: { action },
      auth,
      body,
      okStatus,
    },
    {
      file: `api/agents/${agent}/[action]/route.ts`,
      method: "GET",
      path: `/api/agents/${agent}/health`,
      params: { action: "health" },
      auth: "viewer",
      okStatus: 200,
    },
  ]),
  {
    file: "api/metrics/route.ts",
    method: "GET",
    path: "/api/metrics?name=step.duration",
    auth: "viewer",
    badQuery: "?name=x&bucket=7m",
    okStatus: 200,
  },
  {
    file: "api/metrics/route.ts",
    method: "POST",
    path: "/api/metrics",
    auth: "operator",
    body: { name: "contract.metric", value: 1 },
    okStatus: 202,
  },
  {
    file: "api/system/monitoring/route.ts",
    method: "GET",
    path: "/api/system/monitoring",
    auth: "viewer",
    okStatus: 200,
  },
  // The gateway's adaptive timeouts and throttles (issue 17).
  {
    file: "api/system/gateway-tuning/route.ts",
    method: "GET",
    path: "/api/system/gateway-tuning",
    auth: "viewer",
    okStatus: 200,
  },
  {
    file: "api/system/retention/route.ts",
    method: "GET",
    path: "/api/system/retention",
    auth: "viewer",
    okStatus: 200,
  },
  // A delivery of a topic without a handler: verified, stored, acknowledged.
  {
    file: "api/webhooks/shopify/route.ts",
    method: "POST",
    path: "/api/webhooks/shopify",
    auth: "shopify",
    anyJson: true,
    body: { id: 1 },
    okStatus: 200,
  },
  {
    file: "api/webhooks/shopify/deliveries/route.ts",
    method: "GET",
    path: "/api/webhooks/shopify/deliveries?status=failed",
    auth: "viewer",
    badQuery: "?status=lost",
    okStatus: 200,
  },
  {
    file: "api/webhooks/shopify/deliveries/[id]/reprocess/route.ts",
    method: "POST",
    path: "/api/webhooks/shopify/deliveries/999999/reprocess",
    params: { id: "999999" },
    auth: "operator",
    okStatus: 404,
  },
  {
    file: "api/orders/route.ts",
    method: "GET",
    path: "/api/orders",
    auth: "viewer",
    badQuery: "?status=lost",
    okStatus: 200,
  },
  {
    file: "api/orders/[id]/route.ts",
    method: "GET",
    path: `/api/orders/${UNKNOWN_ID}`,
    params: { id: UNKNOWN_ID },
    auth: "viewer",
    okStatus: 404,
  },
  {
    file: "api/orders/route.ts",
    method: "POST",
    path: "/api/orders",
    auth: "operator",
    body: {
      name: "#C1",
      currency: "EUR",
      totalPrice: "10.00",
      lineItems: [{ sku: "A", title: "A", quantity: 1, price: "10.00" }],
    },
    okStatus: 201,
  },
  {
    file: "api/orders/[id]/route.ts",
    method: "PUT",
    path: `/api/orders/${UNKNOWN_ID}`,
    params: { id: UNKNOWN_ID },
    auth: "operator",
    body: { status: "cancelled" },
    okStatus: 404,
  },
  {
    file: "api/orders/[id]/process/route.ts",
    method: "POST",
    path: `/api/orders/${UNKNOWN_ID}/process`,
    params: { id: UNKNOWN_ID },
    auth: "operator",
    okStatus: 404,
  },
  {
    file: "api/privacy/exports/[id]/route.ts",
    method: "GET",
    path: `/api/privacy/exports/${UNKNOWN_ID}`,
    params: { id: UNKNOWN_ID },
    auth: "admin",
    okStatus: 404,
  },
  {
    file: "api/privacy/site-clients/erasures/route.ts",
    method: "POST",
    path: "/api/privacy/site-clients/erasures",
    auth: "admin",
    body: { projectId: UNKNOWN_ID },
    okStatus: 404,
  },
  {
    file: "api/events/subscriptions/route.ts",
    method: "GET",
    path: "/api/events/subscriptions",
    auth: "admin",
    okStatus: 200,
  },
  {
    file: "api/events/subscriptions/route.ts",
    method: "POST",
    path: "/api/events/subscriptions",
    auth: "admin",
    body: { topic: "order.*", url: "https://hooks.example.com/orders" },
    okStatus: 201,
  },
  {
    file: "api/events/subscriptions/[id]/route.ts",
    method: "DELETE",
    path: `/api/events/subscriptions/${UNKNOWN_ID}`,
    params: { id: UNKNOWN_ID },
    auth: "admin",
    okStatus: 404,
  },
  {
    file: "api/events/deliveries/route.ts",
    method: "GET",
    path: "/api/events/deliveries",
    auth: "viewer",
    badQuery: "?status=lost",
    okStatus: 200,
  },
  {
    file: "api/events/deliveries/[id]/retry/route.ts",
    method: "POST",
    path: "/api/events/deliveries/999999/retry",
    params: { id: "999999" },
    auth: "operator",
    okStatus: 404,
  },
  {
    file: "api/events/replay/route.ts",
    method: "POST",
    path: "/api/events/replay",
    auth: "admin",
    body: { fromId: 1 },
    okStatus: 202,
  },
  { file: "api/suppliers/route.ts", method: "GET", path: "/api/suppliers", auth: "viewer", okStatus: 200 },
  {
    file: "api/suppliers/route.ts",
    method: "POST",
    path: "/api/suppliers",
    auth: "admin",
    body: { name: "Contract supplier" },
    okStatus: 201,
  },
  {
    file: "api/shipments/route.ts",
    method: "GET",
    path: "/api/shipments",
    auth: "viewer",
    badQuery: "?status=lost",
    okStatus: 200,
  },
  {
    file: "api/shipments/[id]/route.ts",
    method: "GET",
    path: `/api/shipments/${UNKNOWN_ID}`,
    params: { id: UNKNOWN_ID },
    auth: "viewer",
    okStatus: 404,
  },
  ...["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"].map(
    (method): RouteCase => ({
      file: CATCH_ALL,
      method,
      path: "/api/no/such/route",
      params: { path: ["no", "such", "route"] },
      auth: "public",
      okStatus: 404,
    }),
  ),
  ...["GET", "HEAD"].map(
    (method): RouteCase => ({
      file: "sites/[slug]/[[...path]]/route.ts",
      method,
      path: "/sites/no-such-site/",
      params: { slug: "no-such-site" },
      auth: "public",
      okStatus: 404,
    }),
  ),
  // The dashboard's session: a well-formed login with an unknown key is a 401; no cookie, no session.
  {
    file: "api/session/route.ts",
    method: "POST",
    path: "/api/session",
    auth: "public",
    body: { apiKey: "aok_unknownunknownunknownunknownunknownunknown1" },
    okStatus: 401,
  },
  { file: "api/session/route.ts", method: "GET", path: "/api/session", auth: "public", okStatus: 401 },
  { file: "api/session/route.ts", method: "DELETE", path: "/api/session", auth: "public", okStatus: 200 },
  // Backups (issue 17).
  {
    file: "api/backups/route.ts",
    method: "GET",
    path: "/api/backups",
    auth: "viewer",
    badQuery: "?limit=0",
    okStatus: 200,
  },
  { file: "api/backups/route.ts", method: "POST", path: "/api/backups", auth: "admin", body: {}, okStatus: 202 },
  // Alerts and the outbox (issue 6).
  {
    file: "api/alerts/route.ts",
    method: "GET",
    path: "/api/alerts",
    auth: "viewer",
    badQuery: "?state=closed",
    okStatus: 200,
  },
  ...(["ack", "resolve"] as const).map(
    (action): RouteCase => ({
      file: `api/alerts/[id]/${action}/route.ts`,
      method: "POST",
      path: `/api/alerts/${UNKNOWN_ID}/${action}`,
      params: { id: UNKNOWN_ID },
      auth: "operator",
      body: {},
      okStatus: 404,
    }),
  ),
  { file: "api/alerts/rules/route.ts", method: "GET", path: "/api/alerts/rules", auth: "viewer", okStatus: 200 },
  {
    file: "api/alerts/rules/route.ts",
    method: "POST",
    path: "/api/alerts/rules",
    auth: "admin",
    body: {
      name: "contract rule",
      source: "condition",
      condition: "failed_runs",
      comparator: "gt",
      threshold: 5,
      windowSeconds: 600,
      severity: "info",
      cooldownSeconds: 600,
      channels: [],
    },
    okStatus: 201,
  },
  {
    file: "api/alerts/rules/[id]/route.ts",
    method: "GET",
    path: `/api/alerts/rules/${UNKNOWN_ID}`,
    params: { id: UNKNOWN_ID },
    auth: "viewer",
    okStatus: 404,
  },
  {
    file: "api/alerts/rules/[id]/route.ts",
    method: "PUT",
    path: `/api/alerts/rules/${UNKNOWN_ID}`,
    params: { id: UNKNOWN_ID },
    auth: "admin",
    body: { threshold: 1 },
    okStatus: 404,
  },
  {
    file: "api/alerts/rules/[id]/route.ts",
    method: "DELETE",
    path: `/api/alerts/rules/${UNKNOWN_ID}`,
    params: { id: UNKNOWN_ID },
    auth: "admin",
    okStatus: 404,
  },
  { file: "api/alerts/evaluate/route.ts", method: "GET", path: "/api/alerts/evaluate", auth: "cron", okStatus: 200 },
  {
    file: "api/alerts/channels/test/route.ts",
    method: "POST",
    path: "/api/alerts/channels/test",
    auth: "admin",
    body: {},
    okStatus: 200,
  },
  {
    file: "api/outbox/route.ts",
    method: "GET",
    path: "/api/outbox",
    auth: "viewer",
    badQuery: "?status=lost",
    okStatus: 200,
  },
];

const LOWER_ROLE: Record<Role, Role | null> = { viewer: null, operator: "viewer", admin: "operator" };
const OVER_LIMIT = JSON.stringify({ name: "x".repeat(1024 * 1024), role: "viewer" });

const handlers = new Map<string, RouteHandler>();
async function handlerFor(c: RouteCase): Promise<RouteHandler> {
  const key = `${c.file} ${c.method}`;
  if (!handlers.has(key)) handlers.set(key, (await importRoute(c.file))[c.method] as RouteHandler);
  return handlers.get(key)!;
}

async function expectJsonError(res: Response, status: number, code?: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
  expect(typeof body.error?.code).toBe("string");
  expect(typeof body.error?.message).toBe("string");
  if (code) expect(body.error?.code).toBe(code);
}

it("the table names every exported route handler", async () => {
  const exported: string[] = [];
  for (const file of routeFiles())
    for (const m of exportedMethods(await importRoute(file))) exported.push(`${file} ${m}`);
  const covered = new Set(CASES.map((c) => `${c.file} ${c.method}`));
  expect(exported.filter((e) => !covered.has(e))).toEqual([]);
});

describeDb("bad input on every route", (suite) => {
  const keys: Partial<Record<Role, string>> = {};
  beforeAll(async () => {
    for (const role of ["viewer", "operator", "admin"] as const)
      keys[role] = (await createApiKey(suite.db(), { name: `contract ${role}`, role })).key;
    process.env.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET;
    process.env.SHOPIFY_WEBHOOK_SECRET = SHOPIFY_WEBHOOK_SECRET;
    // POST /api/projects starts a site_generation run (test mode): the workflow must exist.
    await registerDefinition(suite.db(), {
      definition: parseDefinition(readFileSync("workflows/site_generation.yaml", "utf8")),
      source: "test",
    });
    // POST /api/backups starts a platform_backup run.
    await registerDefinition(suite.db(), {
      definition: parseDefinition(readFileSync("workflows/platform_backup.yaml", "utf8")),
      source: "test",
    });
  });
  afterAll(() => {
    delete process.env.STRIPE_WEBHOOK_SECRET;
    delete process.env.SHOPIFY_WEBHOOK_SECRET;
  });
  const keyFor = (c: RouteCase) =>
    c.auth === "public" || c.auth === "signed" || c.auth === "stripe" || c.auth === "shopify"
      ? undefined
      : c.auth === "cron"
        ? getSecret("CRON_SECRET")
        : keys[c.auth];
  /** Calls a case's handler; a signed route gets a fresh signature over exactly the body sent. */
  const send = async (c: RouteCase, options: CallOptions) => {
    if (c.auth !== "signed" && c.auth !== "stripe" && c.auth !== "shopify")
      return call(await handlerFor(c), c.path, options);
    const raw =
      options.body === undefined ? "" : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    const signature: Record<string, string> =
      c.auth === "signed"
        ? {
            "x-orchestrator-signature": signRequest(getSecret("INTER_AGENT_SECRET"), {
              method: options.method ?? "GET",
              path: new URL(c.path, "http://localhost").pathname,
              body: raw,
            }),
          }
        : c.auth === "shopify"
          ? {
              "x-shopify-hmac-sha256": createHmac("sha256", SHOPIFY_WEBHOOK_SECRET)
                .update(raw, "utf8")
                .digest("base64"),
              "x-shopify-topic": "app/uninstalled",
              "x-shopify-shop-domain": "contract.myshopify.com",
              "x-shopify-webhook-id": randomUUID(),
            }
          : {
              "stripe-signature": Stripe.webhooks.generateTestHeaderString({
                payload: raw,
                secret: STRIPE_WEBHOOK_SECRET,
              }),
            };
    const headers = { "content-type": "application/json", ...options.headers, ...signature };
    return call(await handlerFor(c), c.path, { ...options, body: raw, headers });
  };

  it.each(CASES)("$method $path: a well-formed call answers $okStatus", async (c) => {
    const res = await send(c, { method: c.method, key: keyFor(c), body: c.body, params: c.params });
    expect(res.status).toBe(c.okStatus);
  });

  it.each(CASES.filter((c) => c.body !== undefined))("$method $path: malformed JSON → 400", async (c) => {
    const res = await send(c, { method: c.method, key: keyFor(c), body: '{"name": "x",', params: c.params });
    await expectJsonError(res, 400, "invalid_json");
  });

  it.each(CASES.filter((c) => c.body !== undefined))("$method $path: wrong content type → 415", async (c) => {
    const res = await send(c, {
      method: c.method,
      key: keyFor(c),
      body: JSON.stringify(c.body),
      headers: { "content-type": "text/plain" },
      params: c.params,
    });
    await expectJsonError(res, 415, "unsupported_media_type");
  });

  it.each(CASES.filter((c) => c.body !== undefined))("$method $path: body over the limit → 413", async (c) => {
    const res = await send(c, { method: c.method, key: keyFor(c), body: OVER_LIMIT, params: c.params });
    await expectJsonError(res, 413, "payload_too_large");
  });

  it.each(CASES.filter((c) => c.body !== undefined && !c.anyJson))(
    "$method $path: a body that fails the schema → 400",
    async (c) => {
      const res = await send(c, { method: c.method, key: keyFor(c), body: { unexpected: true }, params: c.params });
      await expectJsonError(res, 400, c.invalidBodyCode ?? "validation_failed");
    },
  );

  it.each(CASES.filter((c) => c.badQuery !== undefined))("$method $path$badQuery → 400", async (c) => {
    const res = await call(await handlerFor(c), c.path + c.badQuery, {
      method: c.method,
      key: keyFor(c),
      params: c.params,
    });
    await expectJsonError(res, 400, "validation_failed");
  });

  it("POST /api/webhooks/stripe: a missing or wrong Stripe signature → 400", async () => {
    const c = CASES.find((x) => x.file === "api/webhooks/stripe/route.ts")!;
    const raw = JSON.stringify(c.body);
    const missing = await call(await handlerFor(c), c.path, { method: "POST", body: raw });
    await expectJsonError(missing, 400);
    const wrong = Stripe.webhooks.generateTestHeaderString({ payload: raw, secret: "whsec_someone_else" });
    const forged = await call(await handlerFor(c), c.path, {
      method: "POST",
      body: raw,
      headers: { "stripe-signature": wrong, "content-type": "application/json" },
    });
    await expectJsonError(forged, 400);
  });

  it.each(CASES.filter((c) => c.auth !== "public" && c.auth !== "stripe"))(
    "$method $path: no key, a malformed header or an unknown key → 401",
    async (c) => {
      const handler = await handlerFor(c);
      for (const headers of [
        {} as Record<string, string>,
        { authorization: "Basic dXNlcjpwYXNz" },
        { authorization: "Bearer aok_unknownunknownunknownunknownunknownunknown1" },
      ]) {
        const res = await call(handler, c.path, { method: c.method, headers, body: c.body, params: c.params });
        await expectJsonError(res, 401, "unauthorized");
      }
    },
  );

  it.each(
    CASES.filter(
      (c) =>
        c.auth !== "public" &&
        c.auth !== "cron" &&
        c.auth !== "signed" &&
        c.auth !== "stripe" &&
        c.auth !== "shopify" &&
        LOWER_ROLE[c.auth] !== null,
    ),
  )("$method $path: a key below $auth → 403", async (c) => {
    const lower = LOWER_ROLE[c.auth as Role]!;
    const res = await call(await handlerFor(c), c.path, {
      method: c.method,
      key: keys[lower],
      body: c.body,
      params: c.params,
    });
    await expectJsonError(res, 403, "forbidden");
    if (c.auth === "admin") {
      const viewer = await call(await handlerFor(c), c.path, {
        method: c.method,
        key: keys.viewer,
        body: c.body,
        params: c.params,
      });
      await expectJsonError(viewer, 403, "forbidden");
    }
  });

  it("arbitrary bodies sent to POST /api/keys never cause a 500", async () => {
    const c = CASES.find((x) => x.file === "api/keys/route.ts" && x.method === "POST")!;
    const handler = await handlerFor(c);
    const bodies = fc.oneof(
      fc.string(),
      fc.json(),
      fc.record({
        name: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        role: fc.oneof(fc.constantFrom("viewer", "operator", "admin", "root"), fc.string()),
      }),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const res = await call(handler, c.path, {
          method: "POST",
          key: keys.admin,
          body: typeof body === "string" ? body : JSON.stringify(body),
        });
        expect(res.status === 201 || res.status === 400).toBe(true);
        if (res.status === 400) await expectJsonError(res, 400);
      }),
      { numRuns: 60 },
    );
  });
});
