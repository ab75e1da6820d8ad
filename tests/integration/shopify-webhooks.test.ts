/**
 * Shopify deliveries end to end through the route: verified before anything is stored, stored
 * encrypted, answered 200, processed after the answer (or by the sweep after a crash), once per
 * webhook id, newest data winning; orders keep personal data encrypted at rest.
 */
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApiKey } from "@/auth/api-keys";
import { queryRows, type Db } from "@/db/client";
import { POST as shopifyWebhook } from "@/app/api/webhooks/shopify/route";
import { GET as listOrdersRoute } from "@/app/api/orders/route";
import { GET as getOrderRoute } from "@/app/api/orders/[id]/route";
import { GET as exportRoute } from "@/app/api/privacy/exports/[id]/route";
import { processPendingDeliveries, storeDelivery } from "@/orders/deliveries";
import type { Order } from "@/orders/orders";
import { decryptField, searchHashes } from "@/privacy/crypto";
import { ENCRYPTED_COLUMNS } from "@/privacy/registry";
import { describeDb } from "../helpers/db";
import { call, callJson } from "../helpers/http";

const FIXTURES = path.join(import.meta.dirname, "../fixtures/shopify");
const SECRET = "shpss_TEST_FIXTURE_SECRET_not_a_real_secret";
const HEADERS = JSON.parse(readFileSync(path.join(FIXTURES, "headers.json"), "utf8")) as Record<
  string,
  Record<string, string>
>;
// The call helper sets the content type of a JSON body itself; a second one would be joined to it.
for (const headers of Object.values(HEADERS)) if (typeof headers === "object") delete headers["Content-Type"];
const ORDER_RAW = readFileSync(path.join(FIXTURES, "orders-create.json"), "utf8");
const ORDER = JSON.parse(ORDER_RAW) as Record<string, unknown>;
/** What must never be readable in the database. */
const PERSONAL = ["lena.hoffmann@example.com", "Hoffmann", "Lindenstra", "+493012345678", "+49 30 12345678", "10969"];

/** Every context a registered column encrypts with: a token found anywhere is tried with each. */
const CONTEXTS = [...new Set(ENCRYPTED_COLUMNS.flatMap((spec) => spec.columns.map((c) => c.context)))];
const TOKEN = /enc:v\d+:[\w-]+\.[\w-]*\.[\w-]+/g;

/**
 * `table: what` for each trace of a customer in any table: a needle in clear or inside any
 * encrypted token (decrypted with every registered context), or an identifier (customer id,
 * search hash) in clear, except in the tables listed in `identifiersAllowedIn`.
 */
async function customerTraces(
  db: Db,
  params: { needles: readonly string[]; identifiers: readonly string[]; identifiersAllowedIn?: readonly string[] },
): Promise<string[]> {
  const tables = await queryRows<{ table_name: string }>(
    db,
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  const found = new Set<string>();
  for (const { table_name } of tables) {
    const [row] = await queryRows<{ dump: string | null }>(
      db,
      sql`select string_agg(t::text, ' ') as dump from ${sql.identifier(table_name)} t`,
    );
    const dump = row?.dump ?? "";
    const texts = [dump];
    for (const token of dump.match(TOKEN) ?? []) {
      for (const context of CONTEXTS) {
        try {
          texts.push(decryptField(token, context));
          break;
        } catch {
          // another context
        }
      }
    }
    for (const needle of params.needles)
      if (texts.some((t) => t.toLowerCase().includes(needle.toLowerCase()))) found.add(`${table_name}: ${needle}`);
    if (params.identifiersAllowedIn?.includes(table_name)) continue;
    for (const identifier of params.identifiers)
      if (dump.includes(identifier)) found.add(`${table_name}: ${identifier}`);
  }
  return [...found].sort();
}

function sign(body: string, secret = SECRET): string {
  return createHmac("sha256", secret).update(body, "utf8").digest("base64");
}

/** A delivery of `body` under `topic`, signed, with a fresh webhook id unless one is given. */
function deliver(body: string, topic: string, extra: Record<string, string> = {}) {
  return call(shopifyWebhook, "/api/webhooks/shopify", {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-shopify-hmac-sha256": sign(body),
      "x-shopify-topic": topic,
      "x-shopify-shop-domain": "atelier-lindgren.myshopify.com",
      "x-shopify-webhook-id": randomUUID(),
      "x-shopify-triggered-at": new Date().toISOString(),
      ...extra,
    },
  });
}

beforeAll(() => {
  process.env.SHOPIFY_WEBHOOK_SECRET = SECRET;
});
afterAll(() => {
  delete process.env.SHOPIFY_WEBHOOK_SECRET;
});

describeDb("Shopify webhooks", (suite) => {
  const db = () => suite.db();
  const keys = { viewer: "", operator: "" };
  beforeAll(async () => {
    keys.viewer = (await createApiKey(db(), { name: "orders viewer", role: "viewer" })).key;
    keys.operator = (await createApiKey(db(), { name: "orders operator", role: "operator" })).key;
  });

  const orderRow = async (shopifyId: string) =>
    (await queryRows<Record<string, unknown>>(db(), sql`select * from orders where shopify_id = ${shopifyId}`))[0];
  const eventsOf = async (shopifyId: string) =>
    queryRows<{ topic: string; data: Record<string, unknown> }>(
      db(),
      sql`select topic, data from events where data->>'shopifyId' = ${shopifyId} order by id`,
    );

  describe("the fixture order", () => {
    it("is verified, stored encrypted, answered 200 and processed after the answer into an order and order.created", async () => {
      const res = await call(shopifyWebhook, "/api/webhooks/shopify", {
        method: "POST",
        body: ORDER_RAW,
        headers: HEADERS["orders-create.json"],
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ received: true, duplicate: false });
      // Processing runs after the response (detached here, after() on Vercel).
      await vi.waitFor(async () => expect(await orderRow("5981234567890")).toBeDefined(), {
        timeout: 5_000,
        interval: 20,
      });
      const row = (await orderRow("5981234567890"))!;
      expect(row).toMatchObject({ name: "#1042", currency: "EUR", status: "open", financial_status: "paid" });
      for (const column of ["customer_name", "customer_email", "customer_phone", "shipping_address"])
        expect(String(row[column])).toMatch(/^enc:v\d+:/);
      expect(String(row.customer_email_hash)).toMatch(/^h1:/);
      const [delivery] = await queryRows<{ status: string; payload: string | null }>(
        db(),
        sql`select status, payload from shopify_deliveries where webhook_id = ${HEADERS["orders-create.json"]!["X-Shopify-Webhook-Id"]!}`,
      );
      expect(delivery).toEqual({ status: "processed", payload: null }); // the raw body is gone once processed
      const events = await eventsOf("5981234567890");
      expect(events.map((e) => e.topic)).toEqual(["order.created"]);
      expect(events[0]!.data).toEqual({
        orderId: row.id,
        shopifyId: "5981234567890",
        shopDomain: "atelier-lindgren.myshopify.com",
        name: "#1042",
        cancelled: false,
      });
    });

    it("reads back as the Order object: in clear for operators, masked for viewers", async () => {
      const list = await callJson<{ orders: Order[]; nextCursor: string | null }>(listOrdersRoute, "/api/orders", {
        key: keys.operator,
      });
      expect(list.status).toBe(200);
      const order = list.body.orders.find((o) => o.shopifyId === "5981234567890")!;
      expect(order).toMatchObject({
        shopDomain: "atelier-lindgren.myshopify.com",
        name: "#1042",
        currency: "EUR",
        totalPrice: "87.20",
        financialStatus: "paid",
        status: "open",
        customer: { name: "Lena Hoffmann", email: "lena.hoffmann@example.com" },
      });
      expect(order.lineItems[0]).toEqual({
        sku: "CPO-SET-SAND",
        title: "Ceramic Pour-Over Coffee Set",
        quantity: 2,
        price: "34.90",
      });
      const asViewer = await callJson<Order>(getOrderRoute, `/api/orders/${order.id}`, {
        key: keys.viewer,
        params: { id: order.id },
      });
      expect(asViewer.status).toBe(200);
      expect(asViewer.body.customer).toEqual({
        name: "L. H.",
        email: "l***@example.com",
        phone: expect.stringMatching(/^\*+\d\d$/),
      });
      expect(JSON.stringify(asViewer.body)).not.toContain("hoffmann");
    });

    it("is processed once: a repeated webhook id answers 200 duplicate and publishes nothing", async () => {
      const again = await call(shopifyWebhook, "/api/webhooks/shopify", {
        method: "POST",
        body: ORDER_RAW,
        headers: HEADERS["orders-create.json"],
      });
      expect(await again.json()).toEqual({ received: true, duplicate: true });
      await processPendingDeliveries(db(), { limit: 10 });
      expect((await eventsOf("5981234567890")).length).toBe(1);
    });
  });

  it("refuses a missing or wrong signature with 401 and stores nothing", async () => {
    const before = await queryRows<{ n: unknown }>(db(), sql`select count(*)::int as n from shopify_deliveries`);
    const headers: Record<string, string> = { ...HEADERS["orders-create.json"]!, "X-Shopify-Webhook-Id": randomUUID() };
    const tampered = await call(shopifyWebhook, "/api/webhooks/shopify", {
      method: "POST",
      body: ORDER_RAW.replace("87.20", "0.01"),
      headers,
    });
    expect(tampered.status).toBe(401);
    const unsigned = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== "X-Shopify-Hmac-Sha256"));
    expect(
      (await call(shopifyWebhook, "/api/webhooks/shopify", { method: "POST", body: ORDER_RAW, headers: unsigned }))
        .status,
    ).toBe(401);
    const other = await call(shopifyWebhook, "/api/webhooks/shopify", {
      method: "POST",
      body: ORDER_RAW,
      headers: { ...headers, "X-Shopify-Hmac-Sha256": sign(ORDER_RAW, "shpss_someone_else") },
    });
    expect(other.status).toBe(401);
    const after = await queryRows<{ n: unknown }>(db(), sql`select count(*)::int as n from shopify_deliveries`);
    expect(after).toEqual(before);
  });

  it("never lets an older delivery overwrite newer order data (out of order)", async () => {
    const id = "7000000000001";
    const version = (total: string, updatedAt: string) =>
      JSON.stringify({ ...ORDER, id: Number(id), total_price: total, updated_at: updatedAt });
    expect((await deliver(version("10.00", "2026-03-14T10:00:00Z"), "orders/create")).status).toBe(200);
    // The order exists before its updates come (else an update processed first creates it, the
    // create is stale, and the counts below, like the invalid-payload test's query, miss it).
    await vi.waitFor(async () => expect(await orderRow(id)).toBeDefined(), { timeout: 5_000, interval: 20 });
    expect((await deliver(version("30.00", "2026-03-14T12:00:00Z"), "orders/updated")).status).toBe(200);
    expect((await deliver(version("20.00", "2026-03-14T11:00:00Z"), "orders/updated")).status).toBe(200); // late retry of an older change
    await processPendingDeliveries(db(), { limit: 50 });
    await vi.waitFor(async () => expect(String((await orderRow(id))?.total_price)).toBe("30.00"), {
      timeout: 5_000,
      interval: 20,
    });
    await processPendingDeliveries(db(), { limit: 50 });
    expect(String((await orderRow(id))?.total_price)).toBe("30.00");
    const topics = (await eventsOf(id)).map((e) => e.topic);
    expect(topics[0]).toBe("order.created");
    // However the processor ordered them, exactly the changes that were applied were published:
    // a delivery found stale (older than what was stored) published nothing.
    const [applied] = await queryRows<{ n: unknown }>(
      db(),
      sql`select count(*)::int as n from shopify_deliveries where topic = 'orders/updated' and status = 'processed' and last_error is null and triggered_at is not null
            and webhook_id in (select webhook_id from shopify_deliveries where topic = 'orders/updated' order by id desc limit 2)`,
    );
    expect(topics.filter((t) => t === "order.updated").length).toBe(Number(applied?.n));
    // A cancellation wins over the order's progress.
    expect(
      (
        await deliver(
          JSON.stringify({
            ...ORDER,
            id: Number(id),
            total_price: "30.00",
            cancelled_at: "2026-03-14T13:00:00Z",
            updated_at: "2026-03-14T13:00:00Z",
          }),
          "orders/cancelled",
        )
      ).status,
    ).toBe(200);
    await vi.waitFor(async () => expect((await orderRow(id))?.status).toBe("cancelled"), {
      timeout: 5_000,
      interval: 20,
    });
  });

  it("processes a delivery stored by a process that died after its 200, at the next sweep", async () => {
    const body = JSON.stringify({ ...ORDER, id: 7000000000002 });
    // What the route does before answering, and nothing after (the crash).
    await storeDelivery(
      db(),
      {
        topic: "orders/create",
        shopDomain: "atelier-lindgren.myshopify.com",
        webhookId: randomUUID(),
        eventId: null,
        triggeredAt: null,
        apiVersion: null,
      },
      body,
    );
    expect(await orderRow("7000000000002")).toBeUndefined();
    expect(await processPendingDeliveries(db(), { limit: 50 })).toMatchObject({ processed: 1 });
    expect(await orderRow("7000000000002")).toMatchObject({ name: "#1042" });
  });

  it("marks an order shipped on fulfillments/create and publishes order.shipped once; retries a fulfillment of an unknown order", async () => {
    const fulfillment = (id: number) =>
      JSON.stringify({
        id,
        order_id: 5981234567890,
        tracking_number: "TRK1",
        tracking_company: "DHL",
        status: "success",
      });
    expect((await deliver(fulfillment(1), "fulfillments/create")).status).toBe(200);
    expect((await deliver(fulfillment(2), "fulfillments/create")).status).toBe(200);
    await processPendingDeliveries(db(), { limit: 50 });
    await vi.waitFor(async () => expect((await orderRow("5981234567890"))?.status).toBe("shipped"), {
      timeout: 5_000,
      interval: 20,
    });
    const shipped = await queryRows<{ data: Record<string, unknown> }>(
      db(),
      sql`select data from events where topic = 'order.shipped' and data->>'trackingNumber' = 'TRK1'`,
    );
    expect(shipped).toEqual([
      {
        data: expect.objectContaining({
          trackingNumber: "TRK1",
          carrier: "DHL",
          shopDomain: "atelier-lindgren.myshopify.com",
        }),
      },
    ]);
    const unknown = JSON.stringify({ id: 3, order_id: 123, tracking_number: "TRK2", status: "success" });
    expect((await deliver(unknown, "fulfillments/create")).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    await processPendingDeliveries(db(), { limit: 50 });
    const [pending] = await queryRows<{ status: string; last_error: string }>(
      db(),
      sql`select status, last_error from shopify_deliveries where topic = 'fulfillments/create' and last_error like '%not known%'`,
    );
    expect(pending).toEqual({ status: "pending", last_error: "the fulfilled order is not known (yet)" });
  });

  it("acknowledges unknown topics and retries invalid payloads without quoting them", async () => {
    expect((await deliver(JSON.stringify({ id: 1 }), "app/uninstalled")).status).toBe(200);
    const invalid = JSON.stringify({ ...ORDER, id: 7000000000003, currency: "euro" });
    expect((await deliver(invalid, "orders/create")).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    await processPendingDeliveries(db(), { limit: 50 });
    const rows = await queryRows<{
      topic: string;
      status: string;
      payload: string | null;
      last_error: string | null;
      attempts: unknown;
    }>(
      db(),
      sql`select topic, status, payload, last_error, attempts from shopify_deliveries where topic = 'app/uninstalled' or (topic = 'orders/create' and last_error is not null)`,
    );
    expect(rows.find((r) => r.topic === "app/uninstalled")).toMatchObject({
      status: "processed",
      payload: null,
      last_error: expect.stringContaining("ignored"),
    });
    const failing = rows.find((r) => r.topic === "orders/create")!;
    expect(failing).toMatchObject({ status: "pending", last_error: expect.stringContaining("currency") });
    expect(failing.last_error).not.toContain("euro");
    expect(await orderRow("7000000000003")).toBeUndefined();
  });

  it("customers/data_request stores an encrypted export of the customer's orders for an admin, and tells the admin without naming the customer", async () => {
    const admin = (await createApiKey(db(), { name: "privacy admin", role: "admin" })).key;
    const request = JSON.stringify({
      shop_id: 1,
      shop_domain: "atelier-lindgren.myshopify.com",
      customer: { id: 7234567890123, email: "lena.hoffmann@example.com" },
      orders_requested: [5981234567890],
      data_request: { id: 4242 },
    });
    expect((await deliver(request, "customers/data_request")).status).toBe(200);
    await processPendingDeliveries(db(), { limit: 50 });
    let exportId = "";
    await vi.waitFor(
      async () => {
        const [row] = await queryRows<{ id: string; payload: string }>(
          db(),
          sql`select id, payload from data_exports where request_id = '4242'`,
        );
        expect(row?.payload).toMatch(/^enc:v\d+:/);
        exportId = row!.id;
      },
      { timeout: 5_000, interval: 20 },
    );
    const notice = await queryRows<{ recipient: string; subject: string; body: string }>(
      db(),
      sql`select recipient, subject, body from outbox where dedupe_key = 'data-request:atelier-lindgren.myshopify.com:4242'`,
    );
    expect(notice).toHaveLength(1);
    expect(notice[0]!.body).toContain(`/api/privacy/exports/${exportId}`);
    expect(JSON.stringify(notice[0]).toLowerCase()).not.toContain("hoffmann");
    const viaOperator = await callJson(exportRoute, `/api/privacy/exports/${exportId}`, {
      key: keys.operator,
      params: { id: exportId },
    });
    expect(viaOperator.status).toBe(403);
    const download = await callJson<{ customer: { shopifyId: string }; orders: Order[] }>(
      exportRoute,
      `/api/privacy/exports/${exportId}`,
      { key: admin, params: { id: exportId } },
    );
    expect(download.status).toBe(200);
    expect(download.body.customer).toEqual({ shopifyId: "7234567890123" });
    expect(download.body.orders.map((o) => o.shopifyId)).toContain("5981234567890");
    expect(download.body.orders.find((o) => o.shopifyId === "5981234567890")?.customer?.email).toBe(
      "lena.hoffmann@example.com",
    );
    const audited = await queryRows<{ action: string }>(
      db(),
      sql`select action from audit_log where target = ${exportId}`,
    );
    expect(audited.map((a) => a.action)).toContain("privacy.export.download");
  });

  it("customers/redact anonymises the customer's orders (lines and amounts stay) and drops pending payloads about them", async () => {
    // A pending (failing) delivery about the customer's other order holds their data, encrypted.
    const other = JSON.stringify({ ...ORDER, id: 5979988776655, currency: "euro" });
    expect((await deliver(other, "orders/create")).status).toBe(200);
    // Another customer's order in the same shop, untouched by the redaction.
    const stranger = {
      ...ORDER,
      id: 7000000000009,
      email: "kai.berg@example.com",
      customer: { id: 99, first_name: "Kai", last_name: "Berg", email: "kai.berg@example.com" },
      shipping_address: {
        name: "Kai Berg",
        address1: "Hafenweg 3",
        city: "Hamburg",
        zip: "20457",
        country_code: "DE",
        phone: "+49 40 5550100",
      },
    };
    expect((await deliver(JSON.stringify(stranger), "orders/create")).status).toBe(200);
    await processPendingDeliveries(db(), { limit: 50 });
    const redact = readFileSync(path.join(FIXTURES, "customers-redact.json"), "utf8");
    const res = await call(shopifyWebhook, "/api/webhooks/shopify", {
      method: "POST",
      body: redact,
      headers: HEADERS["customers-redact.json"],
    });
    expect(res.status).toBe(200);
    await processPendingDeliveries(db(), { limit: 50 });
    await vi.waitFor(async () => expect((await orderRow("5981234567890"))?.customer_email).toBeNull(), {
      timeout: 5_000,
      interval: 20,
    });
    const redacted = (await orderRow("5981234567890"))!;
    expect(redacted).toMatchObject({
      customer_name: null,
      customer_email: null,
      customer_phone: null,
      shipping_address: null,
      customer_email_hash: null,
      shopify_customer_id: null,
      name: "#1042",
    });
    expect(String(redacted.total_price)).toBe("87.20");
    expect((redacted.line_items as unknown[]).length).toBeGreaterThan(0);
    // Every order of that customer (found by customer id or email), however it got here.
    for (const id of ["7000000000001", "7000000000002"]) expect((await orderRow(id))?.customer_email).toBeNull();
    expect(String((await orderRow("7000000000009"))?.customer_email)).toMatch(/^enc:/);
    const [pending] = await queryRows<{ status: string; payload: string | null }>(
      db(),
      sql`select status, payload from shopify_deliveries where topic = 'orders/create' and last_error like 'dropped%'`,
    );
    expect(pending).toEqual({ status: "processed", payload: null });
    const viaApi = await callJson<Order>(getOrderRoute, `/api/orders/${String(redacted.id)}`, {
      key: keys.operator,
      params: { id: String(redacted.id) },
    });
    expect(viaApi.body.customer).toBeNull();
  });

  describe("after customers/redact (the test above)", () => {
    const LENA = { customerId: "7234567890123", email: "lena.hoffmann@example.com" };
    const personalColumns = [
      "shopify_customer_id",
      "customer_name",
      "customer_email",
      "customer_phone",
      "shipping_address",
      "customer_email_hash",
    ];

    it("a late orders/updated (newer updated_at, new webhook id) of the redacted customer's orders leaves no personal data of theirs in any table", async () => {
      // Her orders, as Shopify would send them again, full of her data: one Shopify listed in the
      // redaction, one found by her customer id, and one we never saw, placed before the redaction.
      const late = (id: number, total: string) =>
        JSON.stringify({ ...ORDER, id, total_price: total, updated_at: "2026-03-20T09:00:00Z" });
      for (const [id, total] of [
        [5981234567890, "91.00"],
        [7000000000001, "31.00"],
        [7000000000010, "12.00"],
      ] as const) {
        expect((await deliver(late(id, total), "orders/updated")).status).toBe(200);
      }
      await processPendingDeliveries(db(), { limit: 50 });
      await vi.waitFor(async () => expect(String((await orderRow("7000000000010"))?.total_price)).toBe("12.00"), {
        timeout: 5_000,
        interval: 20,
      });
      await vi.waitFor(async () => expect(String((await orderRow("5981234567890"))?.total_price)).toBe("91.00"), {
        timeout: 5_000,
        interval: 20,
      });
      await vi.waitFor(async () => expect(String((await orderRow("7000000000001"))?.total_price)).toBe("31.00"), {
        timeout: 5_000,
        interval: 20,
      });
      // The rest of the update is applied; the personal columns stay empty.
      for (const id of ["5981234567890", "7000000000001", "7000000000010"]) {
        const row = (await orderRow(id))!;
        for (const column of personalColumns) expect(row[column], `${id}.${column}`).toBeNull();
      }
      const traces = await customerTraces(db(), {
        needles: [...PERSONAL, "Lena"],
        identifiers: [LENA.customerId, ...searchHashes(LENA.email, "email")],
        // The redaction record keeps her Shopify customer id (to recognise her older orders), never
        // her email or its hash.
        identifiersAllowedIn: ["privacy_redactions"],
      });
      // The export made for her earlier data request went with the redaction too.
      expect(traces).toEqual([]);
    });

    it("keeps the personal data of a new order the redacted customer places after the redaction", async () => {
      const now = new Date().toISOString();
      const order = { ...ORDER, id: 7000000000011, name: "#1099", created_at: now, updated_at: now };
      expect((await deliver(JSON.stringify(order), "orders/create")).status).toBe(200);
      await processPendingDeliveries(db(), { limit: 50 });
      await vi.waitFor(async () => expect(await orderRow("7000000000011")).toBeDefined(), {
        timeout: 5_000,
        interval: 20,
      });
      const row = (await orderRow("7000000000011"))!;
      expect(row.shopify_customer_id).toBe(LENA.customerId);
      for (const column of ["customer_name", "customer_email", "customer_phone", "shipping_address"])
        expect(String(row[column])).toMatch(/^enc:v\d+:/);
      expect(searchHashes(LENA.email, "email")).toContain(row.customer_email_hash);
      const viaApi = await callJson<Order>(getOrderRoute, `/api/orders/${String(row.id)}`, {
        key: keys.operator,
        params: { id: String(row.id) },
      });
      expect(viaApi.body.customer).toMatchObject({ name: "Lena Hoffmann", email: LENA.email });
    });

    it("after shop/redact, a late delivery of an older order of that shop stores no personal data, a new order keeps it", async () => {
      const shop = { "x-shopify-shop-domain": "closed-shop.myshopify.com" };
      const older = (updatedAt: string) => JSON.stringify({ ...ORDER, id: 7100000000001, updated_at: updatedAt });
      expect((await deliver(older("2026-03-14T10:00:00Z"), "orders/create", shop)).status).toBe(200);
      await processPendingDeliveries(db(), { limit: 50 });
      const row = async (id: string) =>
        (
          await queryRows<Record<string, unknown>>(
            db(),
            sql`select * from orders where shop_domain = 'closed-shop.myshopify.com' and shopify_id = ${id}`,
          )
        )[0];
      await vi.waitFor(async () => expect(String((await row("7100000000001"))?.customer_email)).toMatch(/^enc:/), {
        timeout: 5_000,
        interval: 20,
      });
      const redact = JSON.stringify({ shop_id: 1, shop_domain: "closed-shop.myshopify.com" });
      expect((await deliver(redact, "shop/redact", shop)).status).toBe(200);
      await processPendingDeliveries(db(), { limit: 50 });
      await vi.waitFor(async () => expect((await row("7100000000001"))?.customer_email).toBeNull(), {
        timeout: 5_000,
        interval: 20,
      });

      expect((await deliver(older("2026-03-21T10:00:00Z"), "orders/updated", shop)).status).toBe(200);
      const now = new Date().toISOString();
      expect(
        (
          await deliver(
            JSON.stringify({ ...ORDER, id: 7100000000002, created_at: now, updated_at: now }),
            "orders/create",
            shop,
          )
        ).status,
      ).toBe(200);
      await processPendingDeliveries(db(), { limit: 50 });
      await vi.waitFor(async () => expect(await row("7100000000002")).toBeDefined(), { timeout: 5_000, interval: 20 });
      const updatedAt = async () => new Date(String((await row("7100000000001"))?.source_updated_at)).toISOString();
      await vi.waitFor(async () => expect(await updatedAt()).toBe("2026-03-21T10:00:00.000Z"), {
        timeout: 5_000,
        interval: 20,
      }); // applied, not stale
      const late = (await row("7100000000001"))!;
      for (const column of personalColumns) expect(late[column], column).toBeNull();
      expect(String((await row("7100000000002"))?.customer_email)).toMatch(/^enc:/);
    });
  });

  describe("products and stock", () => {
    const product = async (sku: string) =>
      (
        await queryRows<{ available: number; stock_alerted: boolean; title: string; levels: Record<string, unknown> }>(
          db(),
          sql`select available, stock_alerted, title, levels from products where sku = ${sku}`,
        )
      )[0];
    const alerts = async (sku: string) =>
      (
        await queryRows<{ data: Record<string, unknown> }>(
          db(),
          sql`select data from events where topic = 'product.stock_alert' and data->>'sku' = ${sku} order by id`,
        )
      ).map((e) => e.data);
    const level = (available: number, location: number, updatedAt: string) =>
      deliver(
        JSON.stringify({ inventory_item_id: 46123456789012, location_id: location, available, updated_at: updatedAt }),
        "inventory_levels/update",
      );

    it("stores every variant of products/update and alerts once for the one under its threshold", async () => {
      const raw = readFileSync(path.join(FIXTURES, "products-update.json"), "utf8");
      const res = await call(shopifyWebhook, "/api/webhooks/shopify", {
        method: "POST",
        body: raw,
        headers: HEADERS["products-update.json"],
      });
      expect(res.status).toBe(200);
      await vi.waitFor(async () => expect(await product("CPO-SET-SAND")).toBeDefined(), {
        timeout: 5_000,
        interval: 20,
      });
      expect(await product("CPO-SET-SAND")).toMatchObject({
        available: 16,
        stock_alerted: false,
        title: "Ceramic Pour-Over Coffee Set - Sand",
      });
      expect(await product("CPO-SET-CHAR")).toMatchObject({ available: 0, stock_alerted: true });
      expect(await alerts("CPO-SET-CHAR")).toEqual([
        expect.objectContaining({
          sku: "CPO-SET-CHAR",
          available: 0,
          threshold: 5,
          shopDomain: "atelier-lindgren.myshopify.com",
        }),
      ]);
      // The same data again (a retry under a new webhook id): nothing newer, no second alert.
      expect((await deliver(raw, "products/update")).status).toBe(200);
      await processPendingDeliveries(db(), { limit: 50 });
      expect(await alerts("CPO-SET-CHAR")).toHaveLength(1);
      expect(await alerts("CPO-SET-SAND")).toHaveLength(0);
    });

    it("sums the stock of every location, ignores an older level, and alerts again only after the stock recovered", async () => {
      await level(3, 1, "2026-03-15T10:00:00Z");
      await processPendingDeliveries(db(), { limit: 50 });
      await vi.waitFor(async () => expect((await product("CPO-SET-SAND"))?.available).toBe(3), {
        timeout: 5_000,
        interval: 20,
      });
      expect(await alerts("CPO-SET-SAND")).toHaveLength(1);
      await level(10, 2, "2026-03-15T10:05:00Z"); // a second location: 3 + 10
      await level(50, 1, "2026-03-15T09:00:00Z"); // older than the level held for location 1: ignored
      await processPendingDeliveries(db(), { limit: 50 });
      await vi.waitFor(
        async () => expect(await product("CPO-SET-SAND")).toMatchObject({ available: 13, stock_alerted: false }),
        { timeout: 5_000, interval: 20 },
      );
      await level(0, 2, "2026-03-15T11:00:00Z"); // 3 + 0: under the threshold again
      await processPendingDeliveries(db(), { limit: 50 });
      await vi.waitFor(async () => expect(await alerts("CPO-SET-SAND")).toHaveLength(2), {
        timeout: 5_000,
        interval: 20,
      });
      expect((await product("CPO-SET-SAND"))?.available).toBe(3);
    });
  });

  it("leaves no customer email, phone, name or street readable anywhere in the database", async () => {
    const tables = await queryRows<{ table_name: string }>(
      db(),
      sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
    );
    const found: string[] = [];
    for (const { table_name } of tables) {
      const [row] = await queryRows<{ dump: string | null }>(
        db(),
        sql`select string_agg(t::text, ' ') as dump from ${sql.identifier(table_name)} t`,
      );
      for (const needle of PERSONAL)
        if (row?.dump?.toLowerCase().includes(needle.toLowerCase())) found.push(`${table_name}: ${needle}`);
    }
    expect(found).toEqual([]);
  });

  it("refuses a signed body that is not JSON (400) and malformed headers naming them (400)", async () => {
    const notJson = "not json";
    expect((await deliver(notJson, "orders/create")).status).toBe(400);
    const res = await deliver(JSON.stringify({ id: 1 }), "orders/create", {
      "x-shopify-shop-domain": "evil.example.com",
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain("X-Shopify-Shop-Domain");
  });
});
