/**
 * Every path that creates or frees work kicks the tick (issue 14): on Vercel no worker is
 * resident, so a start, an event, a callback, a retry, a cancellation that frees a concurrency
 * slot, an order or a re-driven delivery that did not call the tick route would wait for the
 * next cron (previews never get one).
 *
 * Behavioural: the app runs in production mode (VERCEL=1) in process, its base URL points at a
 * loopback server standing in for the tick route, and each route handler is called for real;
 * the test counts the POSTs to /api/orchestration/tick that follow, with their headers
 * (CRON_SECRET, the protection bypass, `x-tick-origin`). A completeness check fails when a route
 * file that creates or frees work is not enumerated here.
 */
import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import Stripe from "stripe";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { z } from "zod";
import { registerAgent } from "@/agents/catalog";
import { ActionRejected, accepted, defineAction, defineAgent } from "@/agents/framework";
import { createApiKey } from "@/auth/api-keys";
import { SIGNATURE_HEADER, signRequest } from "@/auth/signature";
import { queryRows, type Db } from "@/db/client";
import { publishEvent } from "@/engine/events";
import { syncWorkflowFiles } from "@/engine/registry";
import { getRun } from "@/engine/runs";
import { startRun } from "@/engine/start-run";
import { tick } from "@/engine/tick";
import { createSubscription } from "@/events/subscriptions";
import type { RouteHandler } from "@/http/wrappers";
import { createOrder, createOrderInput } from "@/orders/manage";
import { storeDelivery } from "@/orders/deliveries";
import { describeDb } from "../helpers/db";
import { register } from "../helpers/engine";
import { call, type CallOptions } from "../helpers/http";
import { APP_DIR, importRoute, routeFiles } from "../helpers/routes";

const CRON = "cron-secret-of-the-kick-test-0123456789";
const BYPASS = "bypass-secret-of-the-kick-test-0123456789";
const INTER_AGENT = "inter-agent-secret-of-the-kick-test-0123";
const STRIPE_WEBHOOK_SECRET = "whsec_kick_paths_test_secret";
const SHOPIFY_WEBHOOK_SECRET = "shpss_kick_paths_test_secret";
const SHOPIFY_ORDER = JSON.parse(
  readFileSync(path.join(import.meta.dirname, "../fixtures/shopify/orders-create.json"), "utf8"),
) as Record<string, unknown>;

/** What the stand-in tick route received. */
interface Kick {
  authorization: string | undefined;
  origin: string | undefined;
  bypass: string | undefined;
}

const FLOWS = [
  `
name: kick_async
steps:
  - name: ask
    agent: kick-test
    action: later
    timeout: 10m
`,
  `
name: kick_fail
steps:
  - name: try
    agent: kick-test
    action: refuse
`,
  `
name: kick_slot
concurrency: { key: "slot", limit: 1 }
steps:
  - name: nap
    sleep: 1h
`,
];

const tasks: string[] = [];

/** The routes that create or free work, with how to call each one (after any preparation). */
interface KickCase {
  file: string;
  method: string;
  name: string;
  /** Status of the successful call. */
  status: number;
  prepare(db: Db): Promise<CallOptions & { path: string }>;
}

const ORDER_BODY = {
  name: "#K1",
  currency: "EUR",
  totalPrice: "10.00",
  lineItems: [{ sku: "MUG-1", title: "Mug", quantity: 1, price: "10.00" }],
  customer: { name: "Ada", email: "ada@example.com" },
};

const keys = { operator: "", admin: "" };
const prepared = { asyncTask: "", failedRun: "", eventId: 0, deliveryId: 0 };

async function manualOrder(db: Db, name: string): Promise<string> {
  return (await createOrder(db, createOrderInput.parse({ ...ORDER_BODY, name }))).id;
}

const CASES: KickCase[] = [
  {
    name: "a run start",
    file: "api/workflows/[name]/route.ts",
    method: "POST",
    status: 202,
    prepare: async () => ({
      path: "/api/workflows/hello",
      params: { name: "hello" },
      key: keys.operator,
      body: { input: { who: "kick" } },
    }),
  },
  {
    name: "a bulk start",
    file: "api/workflows/[name]/runs/route.ts",
    method: "POST",
    status: 202,
    prepare: async () => ({
      path: "/api/workflows/hello/runs",
      params: { name: "hello" },
      key: keys.operator,
      body: { runs: [{}, {}] },
    }),
  },
  {
    // A run of workflows/platform_backup.yaml (registered by the file sync below), with the key
    // and folder production requires.
    name: "a backup on demand",
    file: "api/backups/route.ts",
    method: "POST",
    status: 202,
    prepare: async () => {
      vi.stubEnv("BACKUP_KEY", randomBytes(32).toString("base64"));
      vi.stubEnv("BACKUP_DIR", mkdtempSync(path.join(tmpdir(), "kick-backups-")));
      return { path: "/api/backups", key: keys.admin };
    },
  },
  {
    name: "an event published by API",
    file: "api/events/route.ts",
    method: "POST",
    status: 202,
    prepare: async () => ({ path: "/api/events", key: keys.operator, body: { topic: "kick.test", data: { n: 1 } } }),
  },
  {
    name: "an async agent's callback",
    file: "api/orchestration/webhooks/route.ts",
    method: "POST",
    status: 200,
    prepare: async () => {
      const raw = JSON.stringify({ type: "task_completed", taskId: prepared.asyncTask, output: { ok: true } });
      const path = "/api/orchestration/webhooks";
      return {
        path,
        body: raw,
        headers: { [SIGNATURE_HEADER]: signRequest(INTER_AGENT, { method: "POST", path, body: raw }) },
      };
    },
  },
  {
    name: "a run retry",
    file: "api/orchestration/runs/[id]/retry/route.ts",
    method: "POST",
    status: 200,
    prepare: async () => ({
      path: `/api/orchestration/runs/${prepared.failedRun}/retry`,
      params: { id: prepared.failedRun },
      key: keys.operator,
    }),
  },
  {
    name: "a cancellation that frees a concurrency slot",
    file: "api/orchestration/runs/[id]/cancel/route.ts",
    method: "POST",
    status: 200,
    prepare: async (db) => {
      const first = await startRun(db, { workflow: "kick_slot" });
      const second = await startRun(db, { workflow: "kick_slot" });
      expect((await getRun(db, first.id)).status).not.toBe((await getRun(db, second.id)).status); // one holds the slot
      const holder = (await getRun(db, first.id)).status === "running" ? first.id : second.id;
      return { path: `/api/orchestration/runs/${holder}/cancel`, params: { id: holder }, key: keys.operator };
    },
  },
  {
    name: "a manual order (publishes order.created)",
    file: "api/orders/route.ts",
    method: "POST",
    status: 201,
    prepare: async () => ({ path: "/api/orders", key: keys.operator, body: { ...ORDER_BODY, name: "#K-api" } }),
  },
  {
    name: "an order change (publishes order.updated)",
    file: "api/orders/[id]/route.ts",
    method: "PUT",
    status: 200,
    prepare: async (db) => {
      const id = await manualOrder(db, "#K-put");
      return { path: `/api/orders/${id}`, params: { id }, key: keys.operator, body: { financialStatus: "paid" } };
    },
  },
  {
    name: "order processing",
    file: "api/orders/[id]/process/route.ts",
    method: "POST",
    status: 202,
    prepare: async (db) => {
      const id = await manualOrder(db, "#K-process");
      // The run order.created started is cancelled: processing starts a new one.
      for (const { id: run } of await queryRows<{ id: string }>(
        db,
        sql`select id from runs where workflow = 'order_processing' and concurrency_key = ${id}`,
      )) {
        await db.execute(sql`update runs set status = 'cancelled', finished_at = now() where id = ${run}`);
      }
      return { path: `/api/orders/${id}/process`, params: { id }, key: keys.operator };
    },
  },
  {
    name: "a Shopify delivery",
    file: "api/webhooks/shopify/route.ts",
    method: "POST",
    status: 200,
    prepare: async () => {
      const raw = JSON.stringify({ ...SHOPIFY_ORDER, id: 7_100_000_000_001, name: "#K-shopify" });
      return {
        path: "/api/webhooks/shopify",
        body: raw,
        headers: {
          "x-shopify-hmac-sha256": createHmac("sha256", SHOPIFY_WEBHOOK_SECRET).update(raw, "utf8").digest("base64"),
          "x-shopify-topic": "orders/create",
          "x-shopify-shop-domain": "kick-test.myshopify.com",
          "x-shopify-webhook-id": randomUUID(),
        },
      };
    },
  },
  {
    name: "a failed Shopify delivery reprocessed",
    file: "api/webhooks/shopify/deliveries/[id]/reprocess/route.ts",
    method: "POST",
    status: 202,
    prepare: async (db) => {
      const raw = JSON.stringify({ ...SHOPIFY_ORDER, id: 7_100_000_000_002, name: "#K-reprocess" });
      const { id } = await storeDelivery(
        db,
        {
          topic: "orders/create",
          shopDomain: "kick-test.myshopify.com",
          webhookId: randomUUID(),
          eventId: null,
          triggeredAt: null,
          apiVersion: null,
        },
        raw,
      );
      await db.execute(sql`update shopify_deliveries set status = 'failed', attempts = 5 where id = ${id}`); // as after its last attempt
      return {
        path: `/api/webhooks/shopify/deliveries/${id}/reprocess`,
        params: { id: String(id) },
        key: keys.operator,
      };
    },
  },
  {
    name: "a paid Stripe Checkout session",
    file: "api/webhooks/stripe/route.ts",
    method: "POST",
    status: 200,
    prepare: async (db) => {
      const [project] = await queryRows<{ id: string }>(
        db,
        sql`insert into projects (token_hash, brief, payment_status) values (${createHash("sha256").update("t").digest("hex")},
              ${JSON.stringify({ businessName: "Kick Café", industry: "restaurant", pages: ["home"], language: "en" })}::jsonb, 'awaiting_payment') returning id`,
      );
      const raw = JSON.stringify({
        id: "evt_kick_1",
        object: "event",
        type: "checkout.session.completed",
        data: {
          object: {
            id: "cs_kick_1",
            object: "checkout.session",
            payment_status: "paid",
            amount_total: 39_900,
            currency: "eur",
            client_reference_id: project!.id,
            metadata: { project_id: project!.id },
          },
        },
      });
      return {
        path: "/api/webhooks/stripe",
        body: raw,
        headers: {
          "stripe-signature": Stripe.webhooks.generateTestHeaderString({ payload: raw, secret: STRIPE_WEBHOOK_SECRET }),
        },
      };
    },
  },
  {
    name: "a site order in test mode",
    file: "api/projects/route.ts",
    method: "POST",
    status: 201,
    prepare: async () => ({
      path: "/api/projects",
      headers: { "x-forwarded-for": "203.0.113.77" },
      body: {
        businessName: "Kick Bakery",
        industry: "bakery",
        audience: "neighbours",
        tone: "friendly",
        pages: ["home"],
        contactEmail: "owner@kick.example",
        language: "en",
      },
    }),
  },
  {
    name: "an outgoing delivery re-driven",
    file: "api/events/deliveries/[id]/retry/route.ts",
    method: "POST",
    status: 200,
    prepare: async () => ({
      path: `/api/events/deliveries/${prepared.deliveryId}/retry`,
      params: { id: String(prepared.deliveryId) },
      key: keys.operator,
    }),
  },
  {
    name: "an event replay",
    file: "api/events/replay/route.ts",
    method: "POST",
    status: 202,
    prepare: async () => ({
      path: "/api/events/replay",
      key: keys.admin,
      body: { fromId: prepared.eventId, toId: prepared.eventId },
    }),
  },
];

/**
 * Route files that create or free work without a behavioural case here, each with the reason.
 * The tick route is the target of the kicks (its continuation is checked below); the /start
 * server action goes through createProject, whose kick the `api/projects` case proves.
 */
const COVERED_OTHERWISE: Record<string, string> = {
  "api/orchestration/tick/route.ts": "the kicks' target; its continuation kick is tested below",
  "start/actions.ts": "calls createProject, which kicks (the api/projects case)",
};

/** What a route file does that creates or frees work (or kicks the tick itself). */
const CREATES_WORK =
  /\b(startRuns?|publishEvent(InTx)?|cancelRun|retryRun|createOrder|updateOrder|processOrder|retryDelivery|replayEvents|createProject|fulfilCheckout|storeDelivery|processDelivery|applyTaskCallback|kickTick)\b/;

it("enumerates every route file that creates or frees work", () => {
  const sources = [...routeFiles(), "start/actions.ts"];
  const creating = sources.filter((file) => CREATES_WORK.test(readFileSync(path.join(APP_DIR, file), "utf8")));
  const enumerated = new Set([...CASES.map((c) => c.file), ...Object.keys(COVERED_OTHERWISE)]);
  expect(creating.filter((file) => !enumerated.has(file))).toEqual([]);
  expect([...enumerated].filter((file) => !creating.includes(file))).toEqual([]);
});

describeDb("every path that creates or frees work kicks the tick", (suite) => {
  const kicks: Kick[] = [];
  let server: Server;

  async function settle(): Promise<void> {
    // Kicks run after the response: wait until none has arrived for a while.
    let count = -1;
    while (count !== kicks.length) {
      count = kicks.length;
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  async function kicksAfter(before: number, timeoutMs = 10_000): Promise<Kick[]> {
    const deadline = Date.now() + timeoutMs;
    while (kicks.length <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return kicks.slice(before);
  }

  beforeAll(async () => {
    const db = suite.db();
    tasks.length = 0; // one suite per database target
    server = createServer((req, res) => {
      if (req.method === "POST" && req.url === "/api/orchestration/tick") {
        kicks.push({
          authorization: req.headers.authorization,
          origin: req.headers["x-tick-origin"] as string | undefined,
          bypass: req.headers["x-vercel-protection-bypass"] as string | undefined,
        });
        res.writeHead(202, { "content-type": "application/json" }).end('{"accepted":true}');
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

    registerAgent(
      defineAgent({
        name: "kick-test",
        description: "Answers later, or refuses.",
        actions: {
          later: defineAction({
            description: "Accepts and calls back later.",
            input: z.strictObject({}),
            output: z.strictObject({ ok: z.boolean() }),
            handler: async (_input, ctx) => {
              tasks.push(ctx.taskId ?? "");
              return accepted();
            },
          }),
          refuse: defineAction({
            description: "Always refuses.",
            input: z.strictObject({}),
            output: z.strictObject({ ok: z.boolean() }),
            handler: async () => {
              throw new ActionRejected("refused for the test");
            },
          }),
        },
      }),
    );
    keys.operator = (await createApiKey(db, { name: "kick operator", role: "operator" })).key;
    keys.admin = (await createApiKey(db, { name: "kick admin", role: "admin" })).key;
    await syncWorkflowFiles(db);
    for (const flow of FLOWS) await register(db, flow);

    // Work that needs ticks first (a waiting async step, a failed run), before any kick is counted.
    const waiting = await startRun(db, { workflow: "kick_async" });
    const failed = await startRun(db, { workflow: "kick_fail" });
    for (let i = 0; i < 50; i++) {
      await tick(db, { budgetMs: 60_000, alwaysSweep: true, claimAnyTimeout: true }); // the async step waits 10 min: no tick below fails it
      const [a, f] = await Promise.all([getRun(db, waiting.id), getRun(db, failed.id)]);
      if (a.steps[0]?.status === "waiting" && f.status === "failed") break;
    }
    expect((await getRun(db, failed.id)).status).toBe("failed");
    expect(tasks).toHaveLength(1);
    prepared.asyncTask = tasks[0]!;
    prepared.failedRun = failed.id;
    // An outgoing delivery to re-drive and an event to replay (its delivery goes nowhere: a reserved name).
    await createSubscription(db, { topic: "kick.*", url: "https://hooks.example.invalid/kick" });
    const published = await publishEvent(db, { topic: "kick.delivery", data: { n: 1 }, source: "test" });
    prepared.eventId = published.id;
    const [delivery] = await queryRows<{ id: unknown }>(
      db,
      sql`select id from event_deliveries where event_id = ${published.id}`,
    );
    prepared.deliveryId = Number(delivery!.id);

    // Production as on Vercel, the base URL being the stand-in tick route.
    vi.stubEnv("VERCEL", "1");
    vi.stubEnv("VERCEL_ENV", "production");
    vi.stubEnv("PUBLIC_BASE_URL", `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    vi.stubEnv("VERCEL_AUTOMATION_BYPASS_SECRET", BYPASS);
    vi.stubEnv("CRON_SECRET", CRON);
    vi.stubEnv("INTER_AGENT_SECRET", INTER_AGENT);
    vi.stubEnv("SESSION_SECRET", "session-secret-of-the-kick-test-0123456");
    vi.stubEnv("ENCRYPTION_KEYS", `1:${Buffer.alloc(32, 9).toString("base64")}`);
    vi.stubEnv("AGENT_TRANSPORT", "inline");
    vi.stubEnv("STRIPE_WEBHOOK_SECRET", STRIPE_WEBHOOK_SECRET);
    // Production without a Stripe key takes orders only in explicit test mode (src/env.ts ordersTestMode).
    vi.stubEnv("ORDERS_TEST_MODE", "1");
    vi.stubEnv("SHOPIFY_WEBHOOK_SECRET", SHOPIFY_WEBHOOK_SECRET);
    vi.stubEnv("SHOPIFY_SHOP_DOMAINS", "kick-test.myshopify.com"); // required in production (issue 15)
  }, 120_000);

  afterAll(async () => {
    vi.unstubAllEnvs();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("a tick that left work behind continues itself with x-tick-origin: continuation", async () => {
    const { GET: tickRoute } = (await importRoute("api/orchestration/tick/route.ts")) as { GET: RouteHandler };
    await startRun(suite.db(), { workflow: "hello" });
    await settle();
    const before = kicks.length;
    const res = await call(tickRoute, "/api/orchestration/tick", { key: CRON });
    expect(res.status).toBe(200);
    const after = await kicksAfter(before);
    expect(after.length).toBeGreaterThan(0);
    expect(after[0]).toEqual({ authorization: `Bearer ${CRON}`, origin: "continuation", bypass: BYPASS });
  });

  it("a read that creates nothing does not kick (the counter is not fooled)", async () => {
    const { GET: listOrders } = (await importRoute("api/orders/route.ts")) as { GET: RouteHandler };
    await settle();
    const before = kicks.length;
    expect((await call(listOrders, "/api/orders", { key: keys.operator })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(kicks.length).toBe(before);
  });

  it.each(CASES.map((c) => [`${c.method} ${c.file}: ${c.name}`, c] as const))(
    "%s kicks the tick",
    async (_label, c) => {
      const handler = (await importRoute(c.file))[c.method] as RouteHandler;
      const options = await c.prepare(suite.db());
      await settle();
      const before = kicks.length;
      const res = await call(handler, options.path, { method: c.method, ...options });
      expect(res.status, await res.clone().text()).toBe(c.status);
      const after = await kicksAfter(before);
      expect(after.length, "no POST reached /api/orchestration/tick").toBeGreaterThan(0);
      for (const kick of after)
        expect(kick).toEqual({ authorization: `Bearer ${CRON}`, origin: "kick", bypass: BYPASS });
    },
  );
});
