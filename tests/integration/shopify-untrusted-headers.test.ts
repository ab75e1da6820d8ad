/**
 * Issue 15: the Shopify HMAC covers the body only, so the shop, the topic and the webhook id
 * (headers) are not trusted on their own. Only configured shops are accepted; a privacy topic's
 * body must name the delivery's shop and have its topic's shape; a signed body replayed under a
 * new webhook id or another shop's domain is a duplicate (digest of topic and body).
 */
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as shopifyWebhook } from "@/app/api/webhooks/shopify/route";
import { queryRows } from "@/db/client";
import { processPendingDeliveries, storeDelivery } from "@/orders/deliveries";
import { describeDb } from "../helpers/db";
import { call } from "../helpers/http";

const SECRET = "shpss_untrusted_headers_test_secret";
const SHOP_A = "shop-a.myshopify.com";
const SHOP_B = "shop-b.myshopify.com";
/** Processing runs after the answer: generous on a loaded machine. */
const WAIT = { timeout: 20_000, interval: 20 };
const ORDER = JSON.parse(
  readFileSync(path.join(import.meta.dirname, "../fixtures/shopify/orders-create.json"), "utf8"),
) as Record<string, unknown>;

function deliver(body: string, topic: string, shop: string, webhookId = randomUUID()) {
  return call(shopifyWebhook, "/api/webhooks/shopify", {
    method: "POST",
    body,
    headers: {
      "x-shopify-hmac-sha256": createHmac("sha256", SECRET).update(body, "utf8").digest("base64"),
      "x-shopify-topic": topic,
      "x-shopify-shop-domain": shop,
      "x-shopify-webhook-id": webhookId,
      "x-shopify-triggered-at": new Date().toISOString(),
    },
  });
}

beforeAll(() => {
  vi.stubEnv("SHOPIFY_WEBHOOK_SECRET", SECRET);
  vi.stubEnv("SHOPIFY_SHOP_DOMAINS", `${SHOP_A}, ${SHOP_B.toUpperCase()}`);
});
afterAll(() => {
  vi.unstubAllEnvs();
});

describeDb("Shopify headers are not trusted on their own", (suite) => {
  const db = () => suite.db();
  const deliveries = async () =>
    Number((await queryRows<{ n: unknown }>(db(), sql`select count(*)::int as n from shopify_deliveries`))[0]!.n);
  const orderOf = async (shop: string, shopifyId: string) =>
    (
      await queryRows<{ id: string; customer_email: string | null }>(
        db(),
        sql`select id, customer_email from orders where shop_domain = ${shop} and shopify_id = ${shopifyId}`,
      )
    )[0];

  describe("shops", () => {
    it("refuses a delivery from a shop not in SHOPIFY_SHOP_DOMAINS with a 403 JSON error, and stores nothing", async () => {
      const before = await deliveries();
      const res = await deliver(
        JSON.stringify({ ...ORDER, id: 8100000000001 }),
        "orders/create",
        "intruder.myshopify.com",
      );
      expect(res.status).toBe(403);
      const body = (await res.json()) as { error: { code: string; message: string; details: unknown } };
      expect(body.error.code).toBe("forbidden");
      expect(JSON.stringify(body.error.details)).toContain("X-Shopify-Shop-Domain");
      expect(await deliveries()).toBe(before);
    });

    it("accepts every configured shop (the list is trimmed and lowercased)", async () => {
      expect((await deliver(JSON.stringify({ ...ORDER, id: 8100000000002 }), "orders/create", SHOP_A)).status).toBe(
        200,
      );
      expect((await deliver(JSON.stringify({ ...ORDER, id: 8100000000003 }), "orders/create", SHOP_B)).status).toBe(
        200,
      );
      // Processed (after the answer) before the next test switches to production mode.
      await vi.waitFor(async () => expect(await orderOf(SHOP_B, "8100000000003")).toBeDefined(), WAIT);
      await vi.waitFor(async () => expect(await orderOf(SHOP_A, "8100000000002")).toBeDefined(), WAIT);
    });

    it("in production, refuses every shop while SHOPIFY_SHOP_DOMAINS is unset (403, nothing stored)", async () => {
      vi.stubEnv("SHOPIFY_SHOP_DOMAINS", "");
      vi.stubEnv("APP_ENV", "production");
      try {
        const before = await deliveries();
        const res = await deliver(JSON.stringify({ ...ORDER, id: 8100000000004 }), "orders/create", SHOP_A);
        expect(res.status).toBe(403);
        expect(((await res.json()) as { error: { message: string } }).error.message).toContain("SHOPIFY_SHOP_DOMAINS");
        expect(await deliveries()).toBe(before);
      } finally {
        vi.stubEnv("APP_ENV", "");
        vi.stubEnv("SHOPIFY_SHOP_DOMAINS", `${SHOP_A},${SHOP_B}`);
      }
    });
  });

  describe("replays", () => {
    it("a signed order replayed under another configured shop's domain and a new webhook id is a duplicate: no order in that shop", async () => {
      const body = JSON.stringify({ ...ORDER, id: 8100000000010 });
      expect(await (await deliver(body, "orders/create", SHOP_A)).json()).toEqual({ received: true, duplicate: false });
      const replay = await deliver(body, "orders/create", SHOP_B);
      expect(replay.status).toBe(200);
      expect(await replay.json()).toEqual({ received: true, duplicate: true });
      // The same body under the same shop and a fresh webhook id: a duplicate too.
      expect(await (await deliver(body, "orders/create", SHOP_A)).json()).toEqual({ received: true, duplicate: true });
      await processPendingDeliveries(db(), { limit: 50 });
      await vi.waitFor(async () => expect(await orderOf(SHOP_A, "8100000000010")).toBeDefined(), WAIT);
      expect(await orderOf(SHOP_B, "8100000000010")).toBeUndefined();
    });

    it("a signed order body replayed as shop/redact under another shop is refused (400) and erases nothing", async () => {
      const order = JSON.stringify({ ...ORDER, id: 8100000000011 });
      expect((await deliver(order, "orders/create", SHOP_B)).status).toBe(200);
      await processPendingDeliveries(db(), { limit: 50 });
      await vi.waitFor(
        async () => expect((await orderOf(SHOP_B, "8100000000011"))?.customer_email).toMatch(/^enc:/),
        WAIT,
      );
      const before = await deliveries();
      // Shop A's signed order body, replayed as B's shop/redact.
      const body = JSON.stringify({ ...ORDER, id: 8100000000012 });
      const res = await deliver(body, "shop/redact", SHOP_B);
      expect(res.status).toBe(400);
      const error = ((await res.json()) as { error: { code: string; details: { field: string }[] } }).error;
      expect(error.code).toBe("bad_request");
      expect(error.details.map((d) => d.field)).toContain("shop_domain");
      expect(await deliveries()).toBe(before);
      expect((await orderOf(SHOP_B, "8100000000011"))?.customer_email).toMatch(/^enc:/);
      const redactions = await queryRows(db(), sql`select 1 from privacy_redactions where shop_domain = ${SHOP_B}`);
      expect(redactions).toEqual([]);
    });

    it("a shop's signed shop/redact replayed under another shop's domain is refused (400)", async () => {
      const body = JSON.stringify({ shop_id: 11, shop_domain: SHOP_A });
      const res = await deliver(body, "shop/redact", SHOP_B);
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain("does not match the X-Shopify-Shop-Domain header");
    });

    it("a customers/redact body replayed as shop/redact of the same shop is refused (400): a customer's erasure cannot become the shop's", async () => {
      const body = JSON.stringify({
        shop_id: 11,
        shop_domain: SHOP_B,
        customer: { id: 1, email: "x@example.com" },
        orders_to_redact: [8100000000011],
      });
      const before = await deliveries();
      const res = await deliver(body, "shop/redact", SHOP_B);
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain("belongs to another topic than shop/redact");
      expect(await deliveries()).toBe(before);
      // Under its own topic it is accepted.
      expect((await deliver(body, "customers/redact", SHOP_B)).status).toBe(200);
    });

    it("a privacy delivery stored before these checks (still pending) that names another shop erases nothing when processed", async () => {
      const id = 8100000000020;
      expect((await deliver(JSON.stringify({ ...ORDER, id }), "orders/create", SHOP_B)).status).toBe(200);
      await processPendingDeliveries(db(), { limit: 50 });
      // The sweep's part too: the previous test's customers/redact, processed after its answer, may hold
      // this delivery's row (it drops matching pending payloads first), so both the answer's processing
      // and a single sweep skip it; the housekeeping sweep takes it later (seen on Postgres under load).
      await vi
        .waitFor(async () => {
          await processPendingDeliveries(db(), { limit: 50 });
          expect((await orderOf(SHOP_B, String(id)))?.customer_email).toMatch(/^enc:/);
        }, WAIT)
        .catch(async (error: unknown) => {
          // Say why, should it happen again (seen once under heavy load): the deliveries' states.
          const states = await queryRows(
            db(),
            sql`select id, topic, shop_domain, status, attempts, last_error, next_attempt_at from shopify_deliveries order by id`,
          );
          throw new Error(`order ${id} not stored: ${JSON.stringify(states)}`, { cause: error });
        });
      // What the route stored before issue 15: A's shop/redact under B's header.
      const webhookId = randomUUID();
      await storeDelivery(
        db(),
        { topic: "shop/redact", shopDomain: SHOP_B, webhookId, eventId: null, triggeredAt: null, apiVersion: null },
        JSON.stringify({ shop_id: 11, shop_domain: SHOP_A }),
      );
      await processPendingDeliveries(db(), { limit: 50 });
      const [row] = await queryRows<{ status: string; last_error: string }>(
        db(),
        sql`select status, last_error from shopify_deliveries where webhook_id = ${webhookId}`,
      );
      expect(row).toMatchObject({
        status: "pending",
        last_error: expect.stringContaining("does not fit a shop/redact delivery"),
      });
      expect((await orderOf(SHOP_B, String(id)))?.customer_email).toMatch(/^enc:/);
    });

    it("a data request body replayed as customers/redact is refused, and a privacy body without shop_id is refused", async () => {
      const request = JSON.stringify({
        shop_id: 11,
        shop_domain: SHOP_A,
        customer: { id: 1 },
        orders_requested: [1],
        data_request: { id: 7 },
      });
      expect((await deliver(request, "customers/redact", SHOP_A)).status).toBe(400);
      const noShopId = JSON.stringify({ shop_domain: SHOP_A });
      const res = await deliver(noShopId, "shop/redact", SHOP_A);
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain("shop_id");
    });
  });
});
