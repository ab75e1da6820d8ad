/**
 * Issue 15: Shopify deliveries that failed for good were invisible. They are listed
 * (`GET /api/webhooks/shopify/deliveries?status=failed`, viewers and up, keyset pages, no personal
 * data), alerted on (the built-in failed_shopify_deliveries rule), shown on the dashboard (its
 * schema parses the answer) and reprocessed by an operator (`POST …/<id>/reprocess`: audited,
 * idempotent, processed after the answer).
 */
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { POST as shopifyWebhook } from "@/app/api/webhooks/shopify/route";
import { GET as listRoute } from "@/app/api/webhooks/shopify/deliveries/route";
import { POST as reprocessRoute } from "@/app/api/webhooks/shopify/deliveries/[id]/reprocess/route";
import { createApiKey } from "@/auth/api-keys";
import { queryRows } from "@/db/client";
import { shopifyDeliveryListSchema, shopifyReprocessSchema } from "@/dashboard/schemas";
import { evaluateAlerts } from "@/operations/alerts/evaluate";
import { processDelivery } from "@/orders/deliveries";
import { describeDb } from "../helpers/db";
import { call, callJson } from "../helpers/http";

const SECRET = "shpss_failed_deliveries_test_secret";
const SHOP = "atelier-lindgren.myshopify.com";
const ORDER = JSON.parse(
  readFileSync(path.join(import.meta.dirname, "../fixtures/shopify/orders-create.json"), "utf8"),
) as Record<string, unknown>;
/** The fixture customer's data: never in a list answer. */
const PERSONAL = ["lena.hoffmann@example.com", "Hoffmann", "Lindenstra", "+493012345678", "10969"];

async function deliver(body: unknown, topic: string): Promise<string> {
  const raw = JSON.stringify(body);
  const webhookId = randomUUID();
  const res = await call(shopifyWebhook, "/api/webhooks/shopify", {
    method: "POST",
    body: raw,
    headers: {
      "x-shopify-hmac-sha256": createHmac("sha256", SECRET).update(raw, "utf8").digest("base64"),
      "x-shopify-topic": topic,
      "x-shopify-shop-domain": SHOP,
      "x-shopify-webhook-id": webhookId,
    },
  });
  expect(res.status).toBe(200);
  return webhookId;
}

beforeAll(() => {
  vi.stubEnv("SHOPIFY_WEBHOOK_SECRET", SECRET);
  vi.stubEnv("SHOPIFY_SHOP_DOMAINS", SHOP);
});
afterAll(() => {
  vi.unstubAllEnvs();
});

describeDb("failed Shopify deliveries", (suite) => {
  const db = () => suite.db();
  const keys = { viewer: "", operator: "" };
  beforeAll(async () => {
    keys.viewer = (await createApiKey(db(), { name: "deliveries viewer", role: "viewer" })).key;
    keys.operator = (await createApiKey(db(), { name: "deliveries operator", role: "operator" })).key;
    // Only the rule under test fires here.
    await db().execute(sql`update alert_rules set enabled = (builtin = 'failed_shopify_deliveries')`);
  });

  const deliveryOf = async (webhookId: string) =>
    (
      await queryRows<{ id: unknown; status: string }>(
        db(),
        sql`select id, status from shopify_deliveries where webhook_id = ${webhookId}`,
      )
    )[0]!;

  /** Drives a delivery through every attempt (the backoff skipped) until it fails for good. */
  async function failForGood(webhookId: string): Promise<number> {
    const id = Number((await deliveryOf(webhookId)).id);
    for (let i = 0; i < 10 && (await deliveryOf(webhookId)).status !== "failed"; i++) {
      await db().execute(
        sql`update shopify_deliveries set next_attempt_at = now() where id = ${id} and status = 'pending'`,
      );
      await processDelivery(db(), id);
    }
    expect((await deliveryOf(webhookId)).status).toBe("failed");
    return id;
  }

  const ids = { fulfillment: 0, invalid: [] as number[] };

  it("lists the deliveries that failed for good, newest first, in keyset pages, without their payloads or personal data", async () => {
    // A fulfillment of an order not known yet (its orders/create will come), and orders whose payload is invalid.
    ids.fulfillment = await failForGood(
      await deliver(
        { id: 1, order_id: 8300000000001, tracking_number: "TRK-F1", tracking_company: "DHL", status: "success" },
        "fulfillments/create",
      ),
    );
    for (const n of [2, 3])
      ids.invalid.push(
        await failForGood(await deliver({ ...ORDER, id: 8300000000000 + n, currency: "euro" }, "orders/create")),
      );
    await deliver({ ...ORDER, id: 8300000000009 }, "orders/create"); // processed: not in the failed list

    const first = await callJson<unknown>(listRoute, "/api/webhooks/shopify/deliveries?status=failed&limit=2", {
      key: keys.viewer,
    });
    expect(first.status).toBe(200);
    const page1 = shopifyDeliveryListSchema.parse(first.body); // what the dashboard's panel reads
    expect(page1.deliveries.map((d) => d.id)).toEqual([ids.invalid[1], ids.invalid[0]]);
    expect(page1.deliveries[0]).toMatchObject({
      shopDomain: SHOP,
      topic: "orders/create",
      status: "failed",
      attempts: 5,
      hasPayload: true,
      lastError: expect.stringContaining("currency"),
    });
    expect(page1.nextCursor).not.toBeNull();
    const second = await callJson<unknown>(
      listRoute,
      `/api/webhooks/shopify/deliveries?status=failed&limit=2&cursor=${page1.nextCursor}`,
      { key: keys.viewer },
    );
    const page2 = shopifyDeliveryListSchema.parse(second.body);
    expect(page2.deliveries.map((d) => d.id)).toEqual([ids.fulfillment]);
    expect(page2.nextCursor).toBeNull();

    const text = JSON.stringify([first.body, second.body]).toLowerCase();
    for (const needle of PERSONAL) expect(text).not.toContain(needle.toLowerCase());
    for (const d of [
      ...(first.body as { deliveries: object[] }).deliveries,
      ...(second.body as { deliveries: object[] }).deliveries,
    ])
      expect(Object.keys(d)).not.toContain("payload");
    expect(text).not.toContain("enc:v");
  });

  it("refuses a bad query (400) and an unauthenticated list (401)", async () => {
    expect((await call(listRoute, "/api/webhooks/shopify/deliveries?status=lost", { key: keys.viewer })).status).toBe(
      400,
    );
    expect((await call(listRoute, "/api/webhooks/shopify/deliveries?cursor=abc", { key: keys.viewer })).status).toBe(
      400,
    );
    expect((await call(listRoute, "/api/webhooks/shopify/deliveries?status=failed")).status).toBe(401);
  });

  it("fires the built-in alert while deliveries are failed", async () => {
    const result = await evaluateAlerts(db());
    expect(result.errors).toEqual([]);
    expect(result.fired).toHaveLength(1);
    const [alert] = await queryRows<{ message: string; value: number; state: string }>(
      db(),
      sql`select a.message, a.value, a.state from alerts a join alert_rules r on r.id = a.rule_id where r.builtin = 'failed_shopify_deliveries'`,
    );
    expect(alert).toMatchObject({ state: "active", value: 3 });
    expect(alert!.message).toContain("3 Shopify deliveries failed for good");
  });

  it("lets an operator reprocess a failed delivery: 202, audited, processed after the answer; a repeat changes nothing", async () => {
    const path = `/api/webhooks/shopify/deliveries/${ids.fulfillment}/reprocess`;
    const params = { id: String(ids.fulfillment) };
    expect((await call(reprocessRoute, path, { method: "POST", key: keys.viewer, params })).status).toBe(403);
    // The order it is about arrives; now the fulfilment can be applied.
    await deliver({ ...ORDER, id: 8300000000001 }, "orders/create");
    await vi.waitFor(
      async () =>
        expect((await queryRows(db(), sql`select 1 from orders where shopify_id = '8300000000001'`)).length).toBe(1),
      { timeout: 20_000, interval: 20 },
    );

    const res = await callJson<unknown>(reprocessRoute, path, { method: "POST", key: keys.operator, params });
    expect(res.status).toBe(202);
    expect(shopifyReprocessSchema.parse(res.body)).toMatchObject({
      requeued: true,
      delivery: { id: ids.fulfillment, status: "pending", attempts: 0 },
    });
    await vi.waitFor(
      async () =>
        expect(
          (
            await deliveryOf(
              (
                await queryRows<{ webhook_id: string }>(
                  db(),
                  sql`select webhook_id from shopify_deliveries where id = ${ids.fulfillment}`,
                )
              )[0]!.webhook_id,
            )
          ).status,
        ).toBe("processed"),
      { timeout: 20_000, interval: 20 },
    );
    const [order] = await queryRows<{ status: string }>(
      db(),
      sql`select status from orders where shopify_id = '8300000000001'`,
    );
    expect(order!.status).toBe("shipped");

    const again = await callJson<unknown>(reprocessRoute, path, { method: "POST", key: keys.operator, params });
    expect(again.status).toBe(200);
    expect(shopifyReprocessSchema.parse(again.body)).toMatchObject({
      requeued: false,
      delivery: { status: "processed" },
    });
    const shipped = await queryRows(
      db(),
      sql`select 1 from events where topic = 'order.shipped' and data->>'trackingNumber' = 'TRK-F1'`,
    );
    expect(shipped).toHaveLength(1);

    const audited = await queryRows<{ action: string; outcome: number }>(
      db(),
      sql`select action, outcome from audit_log where target = ${String(ids.fulfillment)} order by id`,
    );
    expect(audited).toEqual([
      { action: "shopify.delivery.reprocess", outcome: 403 },
      { action: "shopify.delivery.reprocess", outcome: 202 },
      { action: "shopify.delivery.reprocess", outcome: 200 },
    ]);
  });

  it("answers 404 for an unknown or malformed id", async () => {
    for (const id of ["999999999", "abc", "0"]) {
      expect(
        (
          await call(reprocessRoute, `/api/webhooks/shopify/deliveries/${id}/reprocess`, {
            method: "POST",
            key: keys.operator,
            params: { id },
          })
        ).status,
      ).toBe(404);
    }
  });

  it("resolves the alert once no delivery is left failed", async () => {
    for (const id of ids.invalid) {
      const params = { id: String(id) };
      expect(
        (
          await call(reprocessRoute, `/api/webhooks/shopify/deliveries/${id}/reprocess`, {
            method: "POST",
            key: keys.operator,
            params,
          })
        ).status,
      ).toBe(202);
    }
    // Requeued (pending again: still invalid, they will fail again, but none is failed now).
    await vi.waitFor(
      async () => {
        const [row] = await queryRows<{ n: unknown }>(
          db(),
          sql`select count(*)::int as n from shopify_deliveries where status = 'failed'`,
        );
        expect(Number(row!.n)).toBe(0);
      },
      { timeout: 20_000, interval: 20 },
    );
    const result = await evaluateAlerts(db());
    expect(result.resolved).toBe(1);
  });
});
