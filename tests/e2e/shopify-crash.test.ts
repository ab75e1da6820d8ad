/**
 * 1,000 Shopify deliveries against the running app (`npm start`, real Postgres), shuffled: 850
 * valid and unique, 100 repeats, 50 forged; the app is killed (SIGKILL) mid-stream and started
 * again while the sender keeps retrying, as Shopify does, every delivery not answered 200/401.
 * Afterwards exactly the 850 are stored and processed, each once: none lost, none twice.
 *
 * Postgres only: a SIGKILL of the process that embeds PGlite is a crash of the database itself,
 * which the embedded database does not promise to survive (production runs on Neon); so this
 * file needs TEST_DATABASE_URL and is skipped without it, except under CI=true, where a missing
 * TEST_DATABASE_URL fails the run (tests/helpers/setup.ts).
 */
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { shuffle } from "../helpers/output";
import { startApp, type RunningApp } from "../helpers/app-process";
import { createPostgresDatabase } from "../helpers/db";

const SECRET = "shpss_crash_test_secret";
const SHOP = "crash-test.myshopify.com";
const ORDER = JSON.parse(
  readFileSync(path.join(import.meta.dirname, "../fixtures/shopify/orders-create.json"), "utf8"),
) as Record<string, unknown>;
const enabled = Boolean(process.env.TEST_DATABASE_URL);

let database: { url: string; drop(): Promise<void> } | undefined;
let app: RunningApp | undefined;
const env = () => ({ DATABASE_URL: database!.url, SHOPIFY_WEBHOOK_SECRET: SECRET });

beforeAll(async () => {
  if (!enabled) return;
  database = await createPostgresDatabase();
  app = await startApp({ env: env() });
}, 9 * 60_000);
afterAll(async () => {
  await app?.stop();
  await database?.drop();
});

it.skipIf(!enabled)(
  "stores and processes exactly the 850 valid unique deliveries once each, across a crash and restart of the app",
  async () => {
    // Unpaid orders: their order workflows stop at validation, so the worker's load stays small.
    const unique = Array.from({ length: 850 }, (_, i) => ({
      body: JSON.stringify({ ...ORDER, id: 7_000_000_000_000 + i, name: `#C${i}`, financial_status: "pending" }),
      webhookId: randomUUID(),
      valid: true,
    }));
    const repeats = Array.from({ length: 100 }, (_, i) => unique[(i * 7) % unique.length]!);
    const forged = Array.from({ length: 50 }, (_, i) => ({
      body: JSON.stringify({ ...ORDER, id: 7_900_000_000_000 + i }),
      webhookId: randomUUID(),
      valid: false,
    }));
    const all = shuffle([...unique, ...repeats, ...forged]);

    let base = app!.base;
    let answered = 0;
    let retries = 0;
    const statuses: number[] = [];
    // Shopify's side: each delivery is sent until it gets an answer that is not an error of ours.
    async function send(d: (typeof all)[number]): Promise<void> {
      for (;;) {
        try {
          const res = await fetch(`${base}/api/webhooks/shopify`, {
            method: "POST",
            body: d.body,
            headers: {
              "content-type": "application/json",
              "x-shopify-hmac-sha256": createHmac("sha256", d.valid ? SECRET : "shpss_forger")
                .update(d.body, "utf8")
                .digest("base64"),
              "x-shopify-topic": "orders/create",
              "x-shopify-shop-domain": SHOP,
              "x-shopify-webhook-id": d.webhookId,
            },
            signal: AbortSignal.timeout(10_000),
          });
          await res.arrayBuffer();
          if (res.status === 200 || res.status === 401) {
            statuses.push(res.status);
            answered += 1;
            return;
          }
        } catch {
          // the app is down (killed, restarting): try again
        }
        retries += 1;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const queue = [...all];
    const senders = Array.from({ length: 25 }, async () => {
      for (let d = queue.shift(); d; d = queue.shift()) await send(d);
    });

    // Mid-stream: kill the app, then start it again on the same database.
    while (answered < 300) await new Promise((r) => setTimeout(r, 10));
    const dataDir = app!.dataDir;
    await app!.kill();
    app = await startApp({ env: env(), dataDir });
    base = app.base;
    await Promise.all(senders);

    expect(retries).toBeGreaterThan(0); // the crash was felt
    expect(statuses.filter((s) => s === 200)).toHaveLength(950);
    expect(statuses.filter((s) => s === 401)).toHaveLength(50);

    // What the crash interrupted, the restarted app's sweep processes (every 5 s).
    const client = new pg.Client({ connectionString: database!.url });
    await client.connect();
    try {
      const count = async () =>
        (
          await client.query<Record<string, number>>(
            `select (select count(*)::int from shopify_deliveries where shop_domain = $1) as deliveries,
                  (select count(*)::int from shopify_deliveries where shop_domain = $1 and status = 'processed' and payload is null) as processed,
                  (select count(*)::int from orders where shop_domain = $1) as orders,
                  (select count(*)::int from events where topic = 'order.created' and data->>'shopDomain' = $1) as created_events,
                  (select count(*)::int from orders where shop_domain = $1 and shopify_id like '79%') as forged_orders`,
            [SHOP],
          )
        ).rows[0]!;
      const deadline = Date.now() + 60_000;
      let counts = await count();
      while ((counts.processed ?? 0) < 850 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        counts = await count();
      }
      expect(counts).toEqual({ deliveries: 850, processed: 850, orders: 850, created_events: 850, forged_orders: 0 });
    } finally {
      await client.end();
    }
  },
  9 * 60_000,
);
