/**
 * Every route, fuzzed: generated paths (dynamic segments filled with known ids and anything
 * else), query strings, headers, credentials (none, junk, each role's key, the dashboard's
 * session cookie, the cron secret, a valid internal signature, valid Stripe and Shopify
 * signatures) and bodies. Whatever comes in, no answer is a 5xx, every error of an `/api` route
 * is the JSON error body, and no answer leaks internals (stack frames, file paths, error classes).
 *
 * The routes are found on the file system (tests/helpers/routes.ts), so a new route is fuzzed
 * without editing this file. Fixed seed, bounded runs per handler: fast-check prints the seed
 * and the counterexample of a failure, so it replays with `{ seed, path }`. To explore further:
 * FUZZ_RUNS (runs per handler), FUZZ_SEED, and FUZZ_STATS (a file each answer's status is
 * appended to, to see how far past authentication and validation the requests get).
 */
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import Stripe from "stripe";
import { afterAll, beforeAll, expect, it } from "vitest";
import { listAgents } from "@/agents/catalog";
import { POST as login } from "@/app/api/session/route";
import { createApiKey } from "@/auth/api-keys";
import type { Role } from "@/auth/roles";
import { signRequest } from "@/auth/signature";
import { queryRows } from "@/db/client";
import { parseDefinition } from "@/engine/definition";
import { registerDefinition } from "@/engine/registry";
import { startRun } from "@/engine/start-run";
import { getSecret } from "@/env";
import type { RouteHandler } from "@/http/wrappers";
import { createOrder, createOrderInput } from "@/orders/manage";
import { describeDb } from "../helpers/db";
import {
  bodyArbitrary,
  CONTENT_TYPES,
  headerText,
  leakIn,
  pathArbitrary,
  queryArbitrary,
  routeSegments,
} from "../helpers/fuzz-requests";
import { BASE } from "../helpers/http";
import { exportedMethods, importRoute, routeFiles } from "../helpers/routes";

/** Fixed, so a run is reproducible; each handler gets its own offset of it. */
const SEED = Number(process.env.FUZZ_SEED ?? 1_515_015);
/** Requests per exported handler and database target. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 20);
const ANSWER_TIMEOUT_MS = 15_000;
const STRIPE_WEBHOOK_SECRET = "whsec_fuzz_test_secret";
const SHOPIFY_WEBHOOK_SECRET = "shpss_fuzz_test_secret";
const SHOPIFY_TOPICS = [
  "orders/create",
  "orders/updated",
  "orders/cancelled",
  "products/update",
  "inventory_levels/update",
  "customers/redact",
  "shop/redact",
  "customers/data_request",
  "fulfillments/create",
  "app/uninstalled",
];
const FUZZ_FLOW = { name: "fuzz-flow", steps: [{ name: "nap", sleep: "1s" }] };
const ENV = { STRIPE_WEBHOOK_SECRET, SHOPIFY_WEBHOOK_SECRET, TICK_CARRY_MS: "0", TICK_BUDGET_MS: "3000" } as const;

type Auth = "none" | "junk" | Role | "session" | "cron" | "signed" | "stripe" | "shopify";
const AUTHS: Auth[] = ["none", "junk", "viewer", "operator", "admin", "session", "cron", "signed", "stripe", "shopify"];

interface Target {
  file: string;
  method: string;
  handler: RouteHandler;
}

// Every exported handler of every route file, found when the file is collected.
const targets: Target[] = [];
for (const file of routeFiles()) {
  const mod = await importRoute(file);
  for (const method of exportedMethods(mod)) targets.push({ file, method, handler: mod[method] as RouteHandler });
}

it("finds the routes on the file system", () => {
  expect(targets.length).toBeGreaterThan(50);
  expect(targets.some((t) => t.file === "api/keys/[id]/route.ts" && t.method === "DELETE")).toBe(true);
});

it("the leak check recognises internals and lets a plain error body through", () => {
  expect(leakIn(JSON.stringify({ error: { message: new TypeError("boom").stack } }))).not.toBeNull();
  expect(
    leakIn('{"error":"Cannot read properties of undefined","where":"/work/main/src/engine/tick.ts"}'),
  ).not.toBeNull();
  expect(
    leakIn('{"error":{"code":"not_found","message":"No API route matches /api/no/x.ts."}}', ["/api/no/x.ts"]),
  ).toBeNull();
  expect(
    leakIn(
      '{"error":{"code":"validation_failed","message":"The request is invalid.","details":[{"path":"name","message":"Too big"}]}}',
    ),
  ).toBeNull();
});

const withTimeout = <T>(p: Promise<T>, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: no answer within ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS),
    ),
  ]);

describeDb("fuzzing every route", (suite) => {
  const keys: Partial<Record<Role, string>> = {};
  let sessionCookie = "";
  const pools: Record<string, string[]> = {
    action: [...new Set(listAgents().flatMap((a) => Object.keys(a.actions))), "health"],
    name: ["site_generation", "fuzz-flow", "no-such-flow"],
    slug: ["no-such-site"],
    path: ["no", "such", "index.html"],
  };
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    const db = suite.db();
    for (const [k, v] of Object.entries(ENV)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    for (const role of ["viewer", "operator", "admin"] as const)
      keys[role] = (await createApiKey(db, { name: `fuzz ${role}`, role })).key;
    // A key the fuzz may revoke (DELETE /api/keys/<id>) without losing its own credentials.
    const victim = await createApiKey(db, { name: "fuzz victim", role: "viewer" });
    const res = await login(
      new Request(`${BASE}/api/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ apiKey: keys.admin }),
      }),
      { params: Promise.resolve({}) },
    );
    sessionCookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    expect(sessionCookie).toMatch(/=/);
    // Resources to aim at: ids that exist, so the fuzz reaches past "not found".
    await registerDefinition(db, {
      definition: parseDefinition(readFileSync("workflows/site_generation.yaml", "utf8")),
      source: "test",
    });
    await registerDefinition(db, { definition: parseDefinition(JSON.stringify(FUZZ_FLOW)), source: "test" });
    const run = await startRun(db, { workflow: "fuzz-flow" });
    const order = await createOrder(
      db,
      createOrderInput.parse({
        name: "#FUZZ",
        currency: "EUR",
        totalPrice: "10.00",
        lineItems: [{ sku: "F", title: "F", quantity: 1, price: "10.00" }],
      }),
    );
    const rules = await queryRows<{ id: string }>(db, sql`select id::text as id from alert_rules`);
    pools.id = [run.id, order.id, victim.apiKey.id, ...rules.map((r) => r.id), "1"];
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  /** The credential headers of one request (signatures cover exactly what is sent). */
  function credentials(auth: Auth, method: string, path: string, body: string, topic: string): Record<string, string> {
    switch (auth) {
      case "none":
        return {};
      case "junk":
        return {
          authorization: "Bearer aok_junkjunkjunkjunkjunkjunkjunkjunkjunkjunkjunk1",
          "x-orchestrator-signature": "t=1,v1=00",
        };
      case "viewer":
      case "operator":
      case "admin":
        return { authorization: `Bearer ${keys[auth]}` };
      case "session":
        return { cookie: sessionCookie, "x-requested-with": "dashboard" };
      case "cron":
        return { authorization: `Bearer ${getSecret("CRON_SECRET")}` };
      case "signed":
        return { "x-orchestrator-signature": signRequest(getSecret("INTER_AGENT_SECRET"), { method, path, body }) };
      case "stripe":
        return {
          "stripe-signature": Stripe.webhooks.generateTestHeaderString({
            payload: body,
            secret: STRIPE_WEBHOOK_SECRET,
          }),
        };
      case "shopify":
        return {
          "x-shopify-hmac-sha256": createHmac("sha256", SHOPIFY_WEBHOOK_SECRET).update(body, "utf8").digest("base64"),
          "x-shopify-topic": topic,
          "x-shopify-shop-domain": "fuzz.myshopify.com",
          "x-shopify-webhook-id": randomUUID(),
          "x-shopify-triggered-at": new Date().toISOString(),
        };
    }
  }

  // What the fuzz found (issue 15): Postgres refuses a NUL character in text (22021) and `\u0000`
  // in jsonb (22P05); both were answered 500, they are the client's bad input (400).
  it("answers 400 to a NUL character in a path segment or in a stored JSON value", async () => {
    const workflow = targets.find((t) => t.file === "api/workflows/[name]/route.ts" && t.method === "GET")!;
    const events = targets.find((t) => t.file === "api/events/route.ts" && t.method === "POST")!;
    const byName = await workflow.handler(
      new Request(`${BASE}/api/workflows/%00`, { headers: { authorization: `Bearer ${keys.viewer}` } }),
      { params: Promise.resolve({ name: "\u0000" }) },
    );
    expect(byName.status).toBe(400);
    const published = await events.handler(
      new Request(`${BASE}/api/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${keys.operator}`, "content-type": "application/json" },
        body: JSON.stringify({ topic: "fuzz.nul", data: { note: "a\u0000b" } }),
      }),
      { params: Promise.resolve({}) },
    );
    expect(published.status).toBe(400);
    expect(await published.json()).toMatchObject({ error: { code: "validation_failed" } });
  });

  it.each(targets.map((t, i) => ({ ...t, i })))(
    "$method /$file: generated requests get no 5xx and no internals",
    async ({ file, method, handler, i }) => {
      // The credentials this handler accepts (any answer but 401 to a plain request) are drawn
      // four times as often as the others, so most requests get past authentication.
      const plain = fc.sample(pathArbitrary(routeSegments(file), pools), { seed: SEED, numRuns: 1 })[0]!;
      const accepted: Auth[] = [];
      for (const auth of AUTHS) {
        const req = new Request(BASE + plain.path, {
          method,
          headers: credentials(auth, method, plain.path, "", SHOPIFY_TOPICS[0]!),
        });
        const res = await withTimeout(
          handler(req, { params: Promise.resolve(plain.params) }),
          `${method} ${plain.path}`,
        );
        await res.body?.cancel();
        expect(res.status, `${method} ${plain.path} (${auth})`).toBeLessThan(500);
        if (res.status !== 401) accepted.push(auth);
      }
      const auth =
        accepted.length === 0
          ? fc.constantFrom(...AUTHS)
          : fc.oneof(
              { weight: 4, arbitrary: fc.constantFrom(...accepted) },
              { weight: 1, arbitrary: fc.constantFrom(...AUTHS) },
            );
      const request = fc.record({
        path: pathArbitrary(routeSegments(file), pools),
        query: queryArbitrary,
        auth,
        body: method === "GET" || method === "HEAD" ? fc.constant(undefined) : bodyArbitrary,
        contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined }),
        extra: fc.dictionary(
          fc.constantFrom(
            "idempotency-key",
            "x-forwarded-for",
            "x-real-ip",
            "x-requested-with",
            "accept",
            "x-tick-origin",
            "x-vercel-protection-bypass",
            "origin",
            "cookie",
            "range",
            "if-none-match",
          ),
          headerText(60),
          { maxKeys: 3 },
        ),
        topic: fc.oneof(fc.constantFrom(...SHOPIFY_TOPICS), headerText(30)),
      });
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const raw = r.body ?? "";
          const headers: Record<string, string> = {
            ...r.extra,
            ...credentials(r.auth, method, r.path.path, raw, r.topic),
          };
          if (r.contentType !== undefined && r.body !== undefined) headers["content-type"] = r.contentType;
          const req = new Request(BASE + r.path.path + r.query, { method, headers, body: r.body });
          const res = await withTimeout(
            handler(req, { params: Promise.resolve(r.path.params) }),
            `${method} ${r.path.path}`,
          );
          const text = method === "HEAD" ? "" : await res.text();
          const what = `${method} ${r.path.path}${r.query} (${r.auth}) → ${res.status} ${text.slice(0, 300)}`;
          if (process.env.FUZZ_STATS)
            (await import("node:fs")).appendFileSync(
              process.env.FUZZ_STATS,
              `${file} ${method} ${r.auth} ${res.status}\n`,
            );
          expect(res.status, what).toBeLessThan(500);
          if (file.startsWith("api/") && res.status >= 400 && method !== "HEAD") {
            expect(res.headers.get("content-type"), what).toMatch(/application\/json/);
            const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
            expect(typeof parsed.error?.code, what).toBe("string");
            expect(typeof parsed.error?.message, what).toBe("string");
          }
          const echoed = [
            r.path.path,
            ...Object.values(r.path.params).flat(),
            r.query,
            decodeURIComponentSafe(r.query),
            raw,
            ...Object.values(headers),
          ];
          expect(leakIn(text, echoed), what).toBeNull();
        }),
        { seed: SEED + i, numRuns: RUNS },
      );
    },
    120_000,
  );
});

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
}
