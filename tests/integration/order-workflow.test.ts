/**
 * The order workflow end to end, in process, against the simulated supplier on loopback: the
 * fixture delivery becomes an order, `order.created` starts workflows/order_processing.yaml,
 * which validates, checks stock, submits to the supplier and confirms to the customer; the
 * tracking workflow finds the tracking number and publishes `order.shipped`, which emails the
 * customer. Personal data never appears in clear in any table. Also: the supplier failing,
 * slow (its answer lost) and recovering never orders twice; an order that cannot be fulfilled
 * is marked failed and the operators are alerted; the order endpoints.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as getOrderRoute, PUT as putOrderRoute } from "@/app/api/orders/[id]/route";
import { POST as processRoute } from "@/app/api/orders/[id]/process/route";
import { POST as createOrderRoute, GET as listOrdersRoute } from "@/app/api/orders/route";
import { POST as shopifyWebhook } from "@/app/api/webhooks/shopify/route";
import { createApiKey } from "@/auth/api-keys";
import { queryRows, type Db } from "@/db/client";
import { syncWorkflowFiles } from "@/engine/registry";
import { startRun } from "@/engine/start-run";
import { SupplierSimulator, type RunningSimulator } from "@/integrations/supplier/simulator";
import { createOrder, createOrderInput } from "@/orders/manage";
import type { Order } from "@/orders/orders";
import { describeDb } from "../helpers/db";
import { register, runUntilDone, stepOf } from "../helpers/engine";
import { call, callJson } from "../helpers/http";
import { personalDataFound } from "../helpers/privacy";

const FIXTURES = path.join(import.meta.dirname, "../fixtures/shopify");
const SECRET = "shpss_TEST_FIXTURE_SECRET_not_a_real_secret";
const HEADERS = JSON.parse(readFileSync(path.join(FIXTURES, "headers.json"), "utf8")) as Record<
  string,
  Record<string, string>
>;
for (const headers of Object.values(HEADERS)) if (typeof headers === "object") delete headers["Content-Type"];
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");
/** The fixture customer's personal data: never readable in any table. */
const PERSONAL = ["lena.hoffmann@example.com", "Hoffmann", "Lindenstra", "+49 30 12345678", "10969"];

// The supplier simulator listens on loopback: a configured supplier URL is under the outbound policy.
const ENV = { SHOPIFY_WEBHOOK_SECRET: SECRET, HTTP_STEP_ALLOWED_HOSTS: "127.0.0.1" } as Record<string, string>;
const saved: Record<string, string | undefined> = {};
const simulator = new SupplierSimulator();
let supplier: RunningSimulator;

beforeAll(async () => {
  supplier = await simulator.start();
  Object.assign(ENV, {
    SUPPLIER_API_URL: supplier.url,
    SUPPLIER_APP_KEY: simulator.appKey,
    SUPPLIER_APP_SECRET: simulator.appSecret,
  });
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await supplier.close();
});

/** A manual order with a complete address (the workflow starts from its order.created). */
function manualOrder(overrides: Record<string, unknown> = {}) {
  return createOrderInput.parse({
    name: `#M${Math.floor(Math.random() * 1e9)}`,
    currency: "EUR",
    totalPrice: "25.00",
    lineItems: [{ sku: "MUG-1", title: "Mug", quantity: 2, price: "12.50" }],
    customer: { name: "Ada Lovelace", email: "ada.lovelace@example.com", phone: "+44 20 7946 0000" },
    shippingAddress: {
      name: "Ada Lovelace",
      address1: "12 St James's Square",
      city: "London",
      zip: "SW1Y 4JH",
      country_code: "GB",
      phone: "+44 20 7946 0000",
    },
    ...overrides,
  });
}

async function processingRunOf(db: Db, orderId: string): Promise<string> {
  const [run] = await queryRows<{ id: string }>(
    db,
    sql`select id from runs where workflow = 'order_processing' and concurrency_key = ${orderId} order by created_at desc limit 1`,
  );
  if (!run) throw new Error(`no order_processing run for ${orderId}`);
  return run.id;
}

/** Makes every queued retry of the run due now (the shipped workflow backs off 30 s and more). */
async function retryNow(db: Db, runId: string): Promise<void> {
  await db.execute(
    sql`update steps set ready_at = now() where run_id = ${runId} and status = 'queued' and ready_at > now()`,
  );
}

async function runWithRetries(db: Db, runId: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await retryNow(db, runId);
    try {
      return await runUntilDone(db, runId, 1_000);
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
}

describeDb("the order workflow", (suite) => {
  const db = () => suite.db();
  const keys = { viewer: "", operator: "" };
  beforeAll(async () => {
    await syncWorkflowFiles(db());
    keys.viewer = (await createApiKey(db(), { name: "orders viewer", role: "viewer" })).key;
    keys.operator = (await createApiKey(db(), { name: "orders operator", role: "operator" })).key;
  });

  it("takes the fixture order from the signed delivery to the supplier, its tracking, order.shipped and both customer emails, with no personal data in clear anywhere", async () => {
    const ordersBefore = simulator.orders.length;
    // The shop's stock first (CPO-SET-SAND: 16), then the order (2 × CPO-SET-SAND, 1 untracked towel).
    for (const name of ["products-update.json", "orders-create.json"]) {
      const res = await call(shopifyWebhook, "/api/webhooks/shopify", {
        method: "POST",
        body: fixture(name),
        headers: HEADERS[name],
      });
      expect(res.status).toBe(200);
    }
    let orderId = "";
    await vi.waitFor(
      async () => {
        const [row] = await queryRows<{ id: string }>(
          db(),
          sql`select id from orders where shopify_id = '5981234567890'`,
        );
        expect(row).toBeDefined();
        orderId = row!.id;
      },
      { timeout: 5_000, interval: 20 },
    );
    const [created] = await queryRows<{ data: Record<string, unknown> }>(
      db(),
      sql`select data from events where topic = 'order.created' and data->>'orderId' = ${orderId}`,
    );
    expect(created?.data).toMatchObject({ orderId, shopDomain: "atelier-lindgren.myshopify.com" });

    // order.created started the workflow; it runs to the supplier and the confirmation.
    const run = await runUntilDone(db(), await processingRunOf(db(), orderId));
    expect(run.status).toBe("succeeded");
    expect(stepOf(run, "check_inventory").output).toEqual({
      available: true,
      lines: [
        { sku: "CPO-SET-SAND", requested: 2, inStock: 16 },
        { sku: "LTT-NAT-5070", requested: 1, inStock: null },
      ],
    });
    expect(simulator.orders.length).toBe(ordersBefore + 1);
    const placed = simulator.orders.at(-1)!;
    expect(placed.outOrderId).toBe(orderId);
    expect(placed.items).toEqual([
      { productId: "CPO-SET-SAND", quantity: 2 },
      { productId: "LTT-NAT-5070", quantity: 1 },
    ]);
    // The address reached the supplier (decrypted only to be sent).
    expect(placed.address).toMatchObject({ full_name: "Lena Hoffmann", city: "Berlin", zip: "10969", country: "DE" });
    expect(run.output).toEqual({
      orderId,
      supplierOrderId: placed.supplierOrderId,
      shipmentId: expect.any(String),
      customerNotice: "kept",
    });
    const order = await callJson<Order>(getOrderRoute, `/api/orders/${orderId}`, {
      key: keys.operator,
      params: { id: orderId },
    });
    expect(order.body.status).toBe("submitted");

    // The supplier ships; the tracking workflow (a cron trigger, started here by hand) notices.
    simulator.ship(placed.supplierOrderId, "LP00012345678CN", "CAINIAO");
    const tracking = await runUntilDone(db(), (await startRun(db(), { workflow: "order_tracking" })).id);
    expect(tracking.status).toBe("succeeded");
    expect(tracking.output).toMatchObject({ shipped: [orderId], errors: 0 });
    const shippedEvents = await queryRows<{ data: Record<string, unknown> }>(
      db(),
      sql`select data from events where topic = 'order.shipped' and data->>'orderId' = ${orderId}`,
    );
    expect(shippedEvents.map((e) => e.data)).toEqual([
      { orderId, shopDomain: "atelier-lindgren.myshopify.com", trackingNumber: "LP00012345678CN", carrier: "CAINIAO" },
    ]);
    // A second sync changes nothing (the shipment is shipped): still one event.
    await runUntilDone(db(), (await startRun(db(), { workflow: "order_tracking", idempotencyKey: "again" })).id);
    expect(
      await queryRows(db(), sql`select id from events where topic = 'order.shipped' and data->>'orderId' = ${orderId}`),
    ).toHaveLength(1);

    // order.shipped started the notification workflow.
    const [notice] = await queryRows<{ id: string }>(
      db(),
      sql`select id from runs where workflow = 'order_shipped' and input->>'orderId' = ${orderId}`,
    );
    expect((await runUntilDone(db(), notice!.id)).status).toBe("succeeded");
    expect(
      (await callJson<Order>(getOrderRoute, `/api/orders/${orderId}`, { key: keys.operator, params: { id: orderId } }))
        .body.status,
    ).toBe("shipped");
    const [shipment] = await queryRows<{ status: string; tracking_number: string }>(
      db(),
      sql`select status, tracking_number from shipments where order_id = ${orderId}`,
    );
    expect(shipment).toEqual({ status: "shipped", tracking_number: "LP00012345678CN" });

    // Both emails are in the outbox (kept: no SMTP here), their recipient and body encrypted.
    const mails = await queryRows<{ dedupe_key: string; recipient: string; subject: string; body: string }>(
      db(),
      sql`select dedupe_key, recipient, subject, body from outbox where dedupe_key like ${`order-notify:${orderId}:%`} order by created_at`,
    );
    expect(mails.map((m) => [m.dedupe_key, m.subject])).toEqual([
      [`order-notify:${orderId}:confirmed`, "Your order #1042 is confirmed"],
      [`order-notify:${orderId}:shipped`, "Your order #1042 has shipped"],
    ]);
    for (const m of mails) {
      expect(m.recipient).toMatch(/^enc:v\d+:/);
      expect(m.body).toMatch(/^enc:v\d+:/);
    }

    // A dump of the whole database: runs, steps, events, outbox, deliveries, logs of calls...
    expect(await personalDataFound(db(), PERSONAL)).toEqual([]);

    // She asks to be forgotten (customers/redact): the emails about her order go with her data.
    const redact = await call(shopifyWebhook, "/api/webhooks/shopify", {
      method: "POST",
      body: fixture("customers-redact.json"),
      headers: HEADERS["customers-redact.json"],
    });
    expect(redact.status).toBe(200);
    await vi.waitFor(
      async () => {
        const erased = await queryRows<{ recipient: string; body: string }>(
          db(),
          sql`select recipient, body from outbox where dedupe_key like ${`order-notify:${orderId}:%`}`,
        );
        expect(erased).toEqual([
          { recipient: "[redacted]", body: "[redacted]" },
          { recipient: "[redacted]", body: "[redacted]" },
        ]);
      },
      { timeout: 5_000, interval: 20 },
    );
    expect(
      (await callJson<Order>(getOrderRoute, `/api/orders/${orderId}`, { key: keys.operator, params: { id: orderId } }))
        .body.customer,
    ).toBeNull();
  });

  it("orders once from a supplier that fails twice, then answers too late, then recovers", async () => {
    // The shipped workflow, with a 1 s attempt timeout on the submission (45 s in the file) so
    // the slow answer is cut here without waiting 45 s; everything else as in the file.
    const yaml = readFileSync(path.join(import.meta.dirname, "../../workflows/order_processing.yaml"), "utf8").replace(
      "timeout: 45s",
      "timeout: 1s",
    );
    await register(db(), yaml);
    const order = await createOrder(db(), manualOrder());
    const runId = await processingRunOf(db(), order.id);
    const calls = () => simulator.calls.filter((c) => c.method === "aliexpress.ds.order.create").length;
    const before = { orders: simulator.orders.length, calls: calls() };

    simulator.failNext(2);
    let slowDone = false;
    // Two 503s, then a call that is placed but answered after the attempt timed out.
    const slow = setInterval(() => {
      if (calls() >= before.calls + 2 && simulator.delayMs === 0 && !slowDone) simulator.delayMs = 1_500;
      if (calls() >= before.calls + 3 && simulator.delayMs > 0) {
        simulator.delayMs = 0;
        slowDone = true;
      }
    }, 5);
    try {
      const run = await runWithRetries(db(), runId);
      expect(run.status).toBe("succeeded");
      const submit = stepOf(run, "submit_to_supplier");
      expect(submit.attempts).toBeGreaterThanOrEqual(4);
    } finally {
      clearInterval(slow);
      simulator.delayMs = 0;
    }
    // Four calls or more reached the supplier; one order exists there, and one shipment here.
    expect(calls()).toBeGreaterThanOrEqual(before.calls + 4);
    expect(simulator.orders.length).toBe(before.orders + 1);
    expect(simulator.orders.filter((o) => o.outOrderId === order.id)).toHaveLength(1);
    expect(await queryRows(db(), sql`select id from shipments where order_id = ${order.id}`)).toHaveLength(1);

    // Processing the order again answers the same shipment: no call places a second order.
    const again = await callJson<{ runId: string; created: boolean }>(processRoute, `/api/orders/${order.id}/process`, {
      method: "POST",
      key: keys.operator,
      params: { id: order.id },
    });
    expect(again.status).toBe(202);
    const rerun = await runUntilDone(db(), again.body.runId);
    expect(rerun.status).toBe("succeeded");
    expect(stepOf(rerun, "submit_to_supplier").output).toMatchObject({ created: false });
    expect(simulator.orders.filter((o) => o.outOrderId === order.id)).toHaveLength(1);
    await syncWorkflowFiles(db()); // back to the file's version for the next tests
  });

  it("marks an order that cannot be fulfilled failed, alerts the operators, and orders nothing", async () => {
    const before = simulator.orders.length;
    const order = await createOrder(db(), manualOrder({ financialStatus: "pending" }));
    const run = await runUntilDone(db(), await processingRunOf(db(), order.id));
    expect(run.status).toBe("failed");
    // Refused at once: the refusal is the step's last attempt, never retried. (An attempt before
    // it may have timed out on a loaded machine; that one is retried, as it should be.)
    const validate = stepOf(run, "validate_order");
    expect(validate.status).toBe("failed");
    expect(JSON.stringify(validate.error)).toMatch(/not paid \(pending\)/);
    const refusals = validate.history.filter((h) => /not paid/.test(JSON.stringify(h.error)));
    expect(refusals.map((h) => h.attempt)).toEqual([validate.attempts]);
    for (const h of validate.history.filter((a) => a.attempt !== validate.attempts))
      expect(h.error, JSON.stringify(h)).toMatchObject({ name: "StepTimeoutError" });
    expect(stepOf(run, "mark_failed").status).toBe("succeeded");
    expect(simulator.orders.length).toBe(before);
    const [alert] = await queryRows<{ subject: string }>(
      db(),
      sql`select subject from outbox where subject like ${`%Order processing failed at validate_order (order ${order.id})%`}`,
    );
    expect(alert).toBeDefined();
    expect(
      (
        await callJson<Order>(getOrderRoute, `/api/orders/${order.id}`, {
          key: keys.operator,
          params: { id: order.id },
        })
      ).body.status,
    ).toBe("failed");
  });

  describe("the order endpoints", () => {
    it("creates a manual order (201), which starts the workflow; a repeated shop order id is a 409; viewers cannot create", async () => {
      const body = { ...manualOrder({ name: "#API-1" }), shopifyId: "api-1" };
      const created = await callJson<Order>(createOrderRoute, "/api/orders", {
        method: "POST",
        key: keys.operator,
        body,
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        shopDomain: "manual",
        shopifyId: "api-1",
        name: "#API-1",
        status: "open",
        customer: { email: "ada.lovelace@example.com" },
      });
      expect(await processingRunOf(db(), created.body.id)).toBeTruthy();
      const [stored] = await queryRows<{ customer_email: string }>(
        db(),
        sql`select customer_email from orders where id = ${created.body.id}`,
      );
      expect(stored!.customer_email).toMatch(/^enc:v\d+:/);
      expect((await call(createOrderRoute, "/api/orders", { method: "POST", key: keys.operator, body })).status).toBe(
        409,
      );
      expect(
        (
          await call(createOrderRoute, "/api/orders", {
            method: "POST",
            key: keys.viewer,
            body: { ...body, shopifyId: "api-2" },
          })
        ).status,
      ).toBe(403);
      const bad = await callJson<{ error: { code: string; details: { path: string }[] } }>(
        createOrderRoute,
        "/api/orders",
        {
          method: "POST",
          key: keys.operator,
          body: { ...body, shopifyId: "api-3", currency: "euro", lineItems: [] },
        },
      );
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.map((d) => d.path)).toEqual(expect.arrayContaining(["currency", "lineItems"]));
    });

    it("finds an operator a customer's orders by email, through the keyed hash (viewers may not search by email)", async () => {
      const mine = await createOrder(
        db(),
        manualOrder({ customer: { name: "Grace Hopper", email: "grace.hopper@example.com" } }),
      );
      await createOrder(db(), manualOrder({ customer: { name: "Alan Turing", email: "alan.turing@example.com" } }));
      const found = await callJson<{ orders: Order[] }>(
        listOrdersRoute,
        "/api/orders?email=Grace.Hopper%40Example.com",
        { key: keys.operator },
      );
      expect(found.status).toBe(200);
      expect(found.body.orders.map((o) => o.id)).toEqual([mine.id]);
      expect(
        (await call(listOrdersRoute, "/api/orders?email=grace.hopper%40example.com", { key: keys.viewer })).status,
      ).toBe(403);
      expect((await call(listOrdersRoute, "/api/orders?email=not-an-email", { key: keys.operator })).status).toBe(400);
    });

    it("updates an order (PUT), cancels it, and refuses to process a cancelled order (409)", async () => {
      const order = await createOrder(db(), manualOrder({ financialStatus: "pending" }));
      await runUntilDone(db(), await processingRunOf(db(), order.id)); // fails: not paid
      const paid = await callJson<Order>(putOrderRoute, `/api/orders/${order.id}`, {
        method: "PUT",
        key: keys.operator,
        body: { financialStatus: "paid", status: "open" },
        params: { id: order.id },
      });
      expect(paid.status).toBe(200);
      expect(paid.body).toMatchObject({ financialStatus: "paid", status: "open" });
      const [updated] = await queryRows<{ data: Record<string, unknown> }>(
        db(),
        sql`select data from events where topic = 'order.updated' and data->>'orderId' = ${order.id}`,
      );
      expect(updated!.data).toMatchObject({ orderId: order.id, cancelled: false });

      // Now it can be processed: 202 with a new run, which succeeds; asking again while none is running starts another.
      const started = await callJson<{ runId: string; created: boolean }>(
        processRoute,
        `/api/orders/${order.id}/process`,
        { method: "POST", key: keys.operator, params: { id: order.id } },
      );
      expect(started).toMatchObject({ status: 202, body: { created: true } });
      const same = await callJson<{ runId: string; created: boolean }>(
        processRoute,
        `/api/orders/${order.id}/process`,
        { method: "POST", key: keys.operator, params: { id: order.id } },
      );
      expect(same).toMatchObject({ status: 200, body: { runId: started.body.runId, created: false } });
      expect((await runUntilDone(db(), started.body.runId)).status).toBe("succeeded");

      const other = await createOrder(db(), manualOrder({ financialStatus: "pending" }));
      await runUntilDone(db(), await processingRunOf(db(), other.id));
      const cancelled = await callJson<Order>(putOrderRoute, `/api/orders/${other.id}`, {
        method: "PUT",
        key: keys.operator,
        body: { status: "cancelled" },
        params: { id: other.id },
      });
      expect(cancelled.body.status).toBe("cancelled");
      expect(
        (
          await call(processRoute, `/api/orders/${other.id}/process`, {
            method: "POST",
            key: keys.operator,
            params: { id: other.id },
          })
        ).status,
      ).toBe(409);
      expect(
        (
          await call(putOrderRoute, `/api/orders/${other.id}`, {
            method: "PUT",
            key: keys.operator,
            body: {},
            params: { id: other.id },
          })
        ).status,
      ).toBe(400);
      expect(
        (
          await call(putOrderRoute, `/api/orders/${other.id}`, {
            method: "PUT",
            key: keys.operator,
            body: { status: "shipped" },
            params: { id: other.id },
          })
        ).status,
      ).toBe(400);
      expect(
        (
          await call(putOrderRoute, `/api/orders/${other.id}`, {
            method: "PUT",
            key: keys.viewer,
            body: { status: "open" },
            params: { id: other.id },
          })
        ).status,
      ).toBe(403);
    });
  });
});
