/**
 * Issue 15: a Shopify order with a discount code was refused by validate_order ("cannot be
 * fulfilled") because its total is below the lines' sum. The order is now read with Shopify's
 * arithmetic (lines − discounts + shipping + taxes when not included) and checked against it;
 * a manual order may carry the same breakdown.
 */
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { POST as shopifyWebhook } from "@/app/api/webhooks/shopify/route";
import { queryRows } from "@/db/client";
import { processPendingDeliveries } from "@/orders/deliveries";
import { OrderNotProcessable, validateOrder } from "@/orders/fulfilment";
import { createOrder, createOrderInput } from "@/orders/manage";
import { getOrder } from "@/orders/orders";
import { describeDb } from "../helpers/db";
import { call } from "../helpers/http";

const SECRET = "shpss_discounted_order_test_secret";
const SHOP = "atelier-lindgren.myshopify.com";
const ORDER = JSON.parse(
  readFileSync(path.join(import.meta.dirname, "../fixtures/shopify/orders-create.json"), "utf8"),
) as Record<string, unknown>;
const money = (amount: string) => ({
  shop_money: { amount, currency_code: "EUR" },
  presentment_money: { amount, currency_code: "EUR" },
});

/** The fixture order with lines of 129.70, a 10.00 discount code and 7.95 shipping: 127.65 (VAT included). */
function discounted(id: number, total = "127.65") {
  const lines = ORDER.line_items as Record<string, unknown>[];
  return {
    ...ORDER,
    id,
    line_items: [
      { ...lines[0], price: "34.90", quantity: 2 },
      { ...lines[1], price: "59.90", quantity: 1 },
    ],
    discount_codes: [{ code: "WELCOME10", amount: "10.00", type: "fixed_amount" }],
    total_line_items_price: "129.70",
    total_discounts: "10.00",
    total_discounts_set: money("10.00"),
    subtotal_price: "119.70",
    shipping_lines: [
      { ...(ORDER.shipping_lines as Record<string, unknown>[])[0], price: "7.95", discounted_price: "7.95" },
    ],
    total_shipping_price_set: money("7.95"),
    total_tax: "20.38",
    taxes_included: true,
    total_price: total,
    total_price_set: money(total),
  };
}

async function deliver(body: unknown): Promise<void> {
  const raw = JSON.stringify(body);
  const res = await call(shopifyWebhook, "/api/webhooks/shopify", {
    method: "POST",
    body: raw,
    headers: {
      "x-shopify-hmac-sha256": createHmac("sha256", SECRET).update(raw, "utf8").digest("base64"),
      "x-shopify-topic": "orders/create",
      "x-shopify-shop-domain": SHOP,
      "x-shopify-webhook-id": randomUUID(),
    },
  });
  expect(res.status).toBe(200);
}

beforeAll(() => {
  vi.stubEnv("SHOPIFY_WEBHOOK_SECRET", SECRET);
  vi.stubEnv("SHOPIFY_SHOP_DOMAINS", SHOP);
});
afterAll(() => {
  vi.unstubAllEnvs();
});

describeDb("discounted Shopify orders", (suite) => {
  const db = () => suite.db();
  const orderId = async (shopifyId: string) => {
    await processPendingDeliveries(db(), { limit: 10 });
    let id = "";
    await vi.waitFor(
      async () => {
        const [row] = await queryRows<{ id: string }>(
          db(),
          sql`select id from orders where shop_domain = ${SHOP} and shopify_id = ${shopifyId}`,
        );
        expect(row).toBeDefined();
        id = row!.id;
      },
      { timeout: 20_000, interval: 20 },
    );
    return id;
  };

  it("validates an order with a discount code (129.70 − 10.00 + 7.95 = 127.65)", async () => {
    await deliver(discounted(8200000000001));
    const id = await orderId("8200000000001");
    expect((await getOrder(db(), id)).totals).toEqual({
      discounts: "10.00",
      shipping: "7.95",
      tax: "20.38",
      taxesIncluded: true,
      extras: "0.00",
    });
    await expect(validateOrder(db(), id)).resolves.toEqual({ valid: true, itemCount: 3, computedTotal: "127.65" });
  });

  it("still refuses a total that does not add up, naming Shopify's arithmetic", async () => {
    await deliver(discounted(8200000000002, "117.65"));
    const id = await orderId("8200000000002");
    const refusal = await validateOrder(db(), id).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(OrderNotProcessable);
    expect((refusal as Error).message).toContain("lines 129.70 − discounts 10.00 + shipping 7.95 = 127.65");
  });

  it("validates a manual order given with its discount and shipping (operators' orders follow the same arithmetic)", async () => {
    const input = createOrderInput.parse({
      name: "#M-discount",
      currency: "EUR",
      totalPrice: "24.90",
      lineItems: [{ sku: "MUG-1", title: "Mug", quantity: 2, price: "12.50" }],
      totals: { discounts: "5.00", shipping: "4.90" },
      customer: { email: "ada@example.com" },
    });
    const order = await createOrder(db(), input);
    expect(order.totals).toEqual({
      discounts: "5.00",
      shipping: "4.90",
      tax: "0.00",
      taxesIncluded: true,
      extras: "0.00",
    });
    await expect(validateOrder(db(), order.id)).resolves.toMatchObject({ valid: true, computedTotal: "24.90" });
    const off = await createOrder(db(), { ...input, name: "#M-off", totalPrice: "25.00" });
    await expect(validateOrder(db(), off.id)).rejects.toBeInstanceOf(OrderNotProcessable);
  });

  it("validates the fixture order (no discount, VAT included) as before", async () => {
    await deliver({ ...ORDER, id: 8200000000003 });
    const id = await orderId("8200000000003");
    await expect(validateOrder(db(), id)).resolves.toMatchObject({ valid: true, computedTotal: "87.20" });
  });
});
