/**
 * 1,000 Shopify deliveries at once, shuffled: 850 valid and unique, 100 repeats of some of them
 * (same webhook id and body), 50 with a bad signature. Exactly the 850 are stored and processed,
 * each once: 850 orders, 850 order.created events, no delivery processed twice, none left.
 */
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { POST as shopifyWebhook } from "@/app/api/webhooks/shopify/route";
import { processPendingDeliveries } from "@/orders/deliveries";
import { shuffle } from "../helpers/output";
import { describeDb } from "../helpers/db";
import { call } from "../helpers/http";

const SECRET = "shpss_load_test_secret";
const ORDER = JSON.parse(
  readFileSync(path.join(import.meta.dirname, "../fixtures/shopify/orders-create.json"), "utf8"),
) as Record<string, unknown>;
const SHOP = "load-test.myshopify.com";

interface Delivery {
  body: string;
  webhookId: string;
  valid: boolean;
}

beforeAll(() => {
  process.env.SHOPIFY_WEBHOOK_SECRET = SECRET;
});
afterAll(() => {
  delete process.env.SHOPIFY_WEBHOOK_SECRET;
});

describeDb("1,000 concurrent Shopify deliveries", (suite) => {
  it("processes exactly the valid unique ones, each once, none lost", async () => {
    const db = suite.db();
    const unique: Delivery[] = Array.from({ length: 850 }, (_, i) => ({
      body: JSON.stringify({ ...ORDER, id: 8_000_000_000_000 + i, name: `#L${i}` }),
      webhookId: randomUUID(),
      valid: true,
    }));
    const repeats = Array.from({ length: 100 }, (_, i) => unique[(i * 7) % unique.length]!);
    const forged: Delivery[] = Array.from({ length: 50 }, (_, i) => ({
      body: JSON.stringify({ ...ORDER, id: 9_000_000_000_000 + i }),
      webhookId: randomUUID(),
      valid: false,
    }));
    const all = shuffle([...unique, ...repeats, ...forged]);
    expect(all).toHaveLength(1000);

    const statuses: number[] = [];
    for (let i = 0; i < all.length; i += 100) {
      const batch = all.slice(i, i + 100);
      const answers = await Promise.all(
        batch.map((d) =>
          call(shopifyWebhook, "/api/webhooks/shopify", {
            method: "POST",
            body: d.body,
            headers: {
              "x-shopify-hmac-sha256": createHmac("sha256", d.valid ? SECRET : "shpss_forger")
                .update(d.body, "utf8")
                .digest("base64"),
              "x-shopify-topic": "orders/create",
              "x-shopify-shop-domain": SHOP,
              "x-shopify-webhook-id": d.webhookId,
            },
          }),
        ),
      );
      statuses.push(...answers.map((a) => a.status));
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(950);
    expect(statuses.filter((s) => s === 401)).toHaveLength(50);

    // Whatever the after-response processing did not finish, the sweep does.
    for (let i = 0; i < 50; i++) {
      const [left] = await queryRows<{ n: unknown }>(
        db,
        sql`select count(*)::int as n from shopify_deliveries where shop_domain = ${SHOP} and status = 'pending'`,
      );
      if (Number(left?.n) === 0) break;
      await processPendingDeliveries(db, { limit: 200 });
      await new Promise((r) => setTimeout(r, 50));
    }
    const [counts] = await queryRows<Record<string, unknown>>(
      db,
      sql`select (select count(*)::int from shopify_deliveries where shop_domain = ${SHOP}) as deliveries,
                 (select count(*)::int from shopify_deliveries where shop_domain = ${SHOP} and status = 'processed' and attempts = 1 and payload is null) as processed_once,
                 (select count(*)::int from orders where shop_domain = ${SHOP}) as orders,
                 (select count(*)::int from events where topic = 'order.created' and data->>'shopDomain' = ${SHOP}) as created_events,
                 (select count(*)::int from orders where shop_domain = ${SHOP} and shopify_id like '9%') as forged_orders`,
    );
    expect(Object.fromEntries(Object.entries(counts!).map(([k, v]) => [k, Number(v)]))).toEqual({
      deliveries: 850,
      processed_once: 850,
      orders: 850,
      created_events: 850,
      forged_orders: 0,
    });
  }, 120_000);
});
