/**
 * Shopify orders: signed `orders/create` deliveries (HMAC-SHA256 of the raw body with the
 * webhook secret, base64), each sent until answered 200 as Shopify does, a quarter of them sent
 * twice (same X-Shopify-Webhook-Id: stored once). Every order must be processed by
 * `order_processing` to a shipment at the simulated supplier; then one genuine cron run of
 * `order_tracking` must give the shipments their tracking.
 *
 * The cron: order_tracking runs every 10 minutes, and a version never runs instants from
 * before it was registered (src/engine/cron.ts, 10-minute look-back). To get one genuine
 * cron-triggered run after the shipments exist, without waiting up to 10 minutes and whatever
 * the time of day, its registration is moved twice with one UPDATE of
 * workflow_definitions.created_at each: right after the build, one hour ahead (holdCron: "the
 * deployment is not live yet", so no instant fires while the orders come in), and once the
 * shipments exist, 10 minutes back ("a deployment live for 10 minutes"): the next tick's cron
 * pass then starts the run of the last 10-minute instant.
 */
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { RehearsalFailure, sleep, waitFor } from "../util";
import { awaitRuns, mapLimit, type WorkloadContext, type WorkloadResult } from "./context";

export const SHOP = "rehearsal-shop.myshopify.com";
const ORDER_ID_BASE = 8_800_000_000_000;
/** order_tracking asks about this many shipments per run (workflows/order_tracking.yaml). */
const TRACKING_BATCH = 100;

interface Delivery {
  body: string;
  webhookId: string;
}

function deliveries(root: string, n: number): Delivery[] {
  const fixture = JSON.parse(
    readFileSync(path.join(root, "tests", "fixtures", "shopify", "orders-create.json"), "utf8"),
  ) as Record<string, unknown>;
  const now = new Date().toISOString();
  return Array.from({ length: n }, (_, i) => ({
    body: JSON.stringify({
      ...fixture,
      id: ORDER_ID_BASE + i,
      name: `#R${1000 + i}`,
      order_number: 1000 + i,
      financial_status: "paid",
      created_at: now,
      updated_at: now,
    }),
    webhookId: randomUUID(),
  }));
}

/** Right after the build: no order_tracking instant fires until the shipments exist (see above). */
export async function holdCron(db: WorkloadContext["db"]): Promise<void> {
  await db.query(
    `update workflow_definitions set created_at = now() + interval '1 hour' where name = 'order_tracking'`,
  );
}

async function send(ctx: WorkloadContext, d: Delivery): Promise<{ duplicate: boolean }> {
  const res = await ctx.client.expect("/api/webhooks/shopify", [200], {
    body: d.body,
    admin: false,
    retries: 50,
    headers: {
      "content-type": "application/json",
      "x-shopify-hmac-sha256": createHmac("sha256", ctx.secrets.shopifyWebhookSecret)
        .update(d.body, "utf8")
        .digest("base64"),
      "x-shopify-topic": "orders/create",
      "x-shopify-shop-domain": SHOP,
      "x-shopify-webhook-id": d.webhookId,
      "x-shopify-triggered-at": new Date().toISOString(),
      "x-shopify-api-version": "2026-01",
    },
  });
  return { duplicate: (res.json as { duplicate?: boolean } | undefined)?.duplicate === true };
}

export async function shopifyOrders(ctx: WorkloadContext, root: string): Promise<WorkloadResult> {
  const n = ctx.options.shopify;
  const all = deliveries(root, n);
  const started = performance.now();
  await mapLimit(all, 25, (d) => send(ctx, d));
  const repeats = all.slice(0, Math.ceil(n / 4));
  const repeated = await mapLimit(repeats, 25, (d) => send(ctx, d));
  const notDuplicate = repeated.filter((r) => !r.duplicate).length;
  if (notDuplicate > 0)
    throw new RehearsalFailure(`shopify: ${notDuplicate} repeated deliveries were not answered duplicate`);

  // Every order stored, each started its order_processing run (order.created).
  const orders = await waitFor(`${n} Shopify orders stored`, Math.max(0, ctx.deadline - Date.now()), async () => {
    const rows = await ctx.db.query<{ id: string }>(`select id from orders where shop_domain = $1`, [SHOP]);
    return rows.length >= n ? rows : undefined;
  });
  const orderIds = orders.map((o) => o.id);
  const runs = await waitFor("an order_processing run per order", Math.max(0, ctx.deadline - Date.now()), async () => {
    const rows = await ctx.db.query<{ id: string }>(
      `select id from runs where workflow = 'order_processing' and input->>'orderId' = any($1::text[])`,
      [orderIds],
    );
    return rows.length >= n ? rows : undefined;
  });
  await awaitRuns(
    ctx,
    "order_processing",
    runs.map((r) => r.id),
  );
  const shipments = await ctx.db.query<{ order_id: string; created_at: Date }>(
    `select order_id, created_at from shipments where order_id = any($1::uuid[])`,
    [orderIds],
  );
  if (new Set(shipments.map((s) => s.order_id)).size !== n || shipments.length !== n) {
    throw new RehearsalFailure(`shopify: ${shipments.length} shipments for ${n} orders (expected exactly one each)`);
  }
  const processedMs = Math.round(performance.now() - started);
  const lastSubmitted = new Date(Math.max(...shipments.map((s) => s.created_at.getTime())));

  // The order_tracking cron run.
  const backdated = await ctx.db.query<{ version: number }>(
    `update workflow_definitions set created_at = now() - interval '10 minutes'
       where name = 'order_tracking' and version = (select max(version) from workflow_definitions where name = 'order_tracking')
       returning version`,
  );
  if (backdated.length === 0)
    throw new RehearsalFailure("shopify: order_tracking is not registered (the build registers every workflow file)");
  const cronRun = await waitFor(
    "a cron-triggered order_tracking run",
    Math.max(0, ctx.deadline - Date.now()),
    async () => {
      const rows = await ctx.db.query<{ id: string; status: string; created_at: Date; trigger: { at: string } }>(
        `select id, status, created_at, trigger from runs where workflow = 'order_tracking' and trigger->>'type' = 'cron' order by created_at desc limit 1`,
      );
      return rows[0];
    },
  );
  await awaitRuns(ctx, "order_tracking (cron)", [cronRun.id]);
  if (cronRun.created_at < lastSubmitted)
    throw new RehearsalFailure(
      `shopify: the order_tracking cron run ${cronRun.id} started before the shipments existed (was the cron held back after the build?)`,
    );
  const expected = Math.min(n, TRACKING_BATCH);
  let shipped = 0;
  // The tracking is written by the run's step; a moment for its transaction to be visible.
  for (let i = 0; i < 10; i++) {
    const [row] = await ctx.db.query<{ n: number }>(
      `select count(*)::int as n from shipments where order_id = any($1::uuid[]) and status = 'shipped' and tracking_number is not null`,
      [orderIds],
    );
    shipped = row!.n;
    if (shipped >= expected) break;
    await sleep(200);
  }
  if (shipped < expected)
    throw new RehearsalFailure(
      `shopify: the order_tracking cron run ${cronRun.id} left ${expected - shipped} of ${expected} shipments without tracking`,
    );
  return {
    name: "shopify orders",
    ms: Math.round(performance.now() - started),
    runs: runs.length + 1,
    details: {
      deliveries: n,
      repeatsAnsweredDuplicate: repeats.length,
      processedToShipmentMs: processedMs,
      cronRun: cronRun.id,
      cronInstant: cronRun.trigger.at,
      shippedWithTracking: shipped,
    },
  };
}
