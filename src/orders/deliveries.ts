/**
 * Shopify deliveries: stored durably before the 200, processed after it.
 *
 * - `storeDelivery` inserts the delivery (its raw body ENCRYPTED: it holds customer data) keyed
 *   by `(shop_domain, webhook_id)`; a repeat stores nothing and is answered as a duplicate, so a
 *   retried delivery is never processed twice.
 * - `processDelivery` claims one pending delivery (`for update skip locked`: two processors never
 *   take the same one), runs its topic's handler inside a savepoint, and on success marks it
 *   processed and DROPS the payload (the row stays as the dedupe record). A handler failure is
 *   recorded (attempts, last error, a backoff) and retried; after MAX_ATTEMPTS it is `failed`.
 * - `processPendingDeliveries` is the sweep the housekeeping runs every few seconds: whatever the
 *   process that answered did not finish (it crashed after the 200) is processed by the next tick.
 *
 * Topics. Every topic the product lists is handled here. A topic the platform would handle
 * later (none now: AWAITING_HANDLER) stays `pending`
 * with their encrypted payload, untouched by the sweep, so nothing is lost and they are processed
 * once their handler lands. Any other topic is acknowledged and marked processed (`ignored`).
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { publishEventInTx } from "@/engine/events";
import { log } from "@/observability/log";
import { z } from "zod";
import { decryptField, encryptField, searchHashes } from "@/privacy/crypto";
import { assertBodyFitsDelivery, deliveryDigest, type ShopifyDelivery } from "@/integrations/shopify";
import { answerDataRequest } from "./data-requests";
import { markOrderShipped, redactOrders, upsertShopifyOrder } from "./orders";
import { applyInventoryLevel, applyProductUpdate } from "./products";
import { orderFields, shopifyOrderSchema } from "./shopify-order";

export const PAYLOAD_CONTEXT = "shopify_deliveries.payload";
const MAX_ATTEMPTS = 5;
/** Processed deliveries are kept (without payload) this long as the dedupe record: Shopify retries for 4 h and may deliver a day late. */
export const DEDUPE_RETENTION_DAYS = 7;

export interface DeliveryContext {
  id: number;
  shopDomain: string;
  webhookId: string;
  topic: string;
  triggeredAt: string | null;
}

type Handler = (tx: Db, delivery: DeliveryContext, body: unknown) => Promise<string>;

/** orders/create, orders/updated, orders/paid, orders/cancelled: the same upsert, newest data wins. */
const orderHandler: Handler = async (tx, delivery, body) => {
  const parsed = shopifyOrderSchema.safeParse(body);
  if (!parsed.success)
    throw new Error(
      `the order payload is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  const fields = orderFields(parsed.data);
  const result = await upsertShopifyOrder(tx, delivery.shopDomain, fields, fields.updatedAt ?? delivery.triggeredAt);
  if (result.change === "stale") return "stale: newer data already stored";
  const topic = result.change === "created" ? "order.created" : "order.updated";
  // Ids only: events are read by workflows, subscribers and operators, never personal data.
  await publishEventInTx(tx, {
    topic,
    data: {
      orderId: result.id,
      shopifyId: fields.shopifyId,
      shopDomain: delivery.shopDomain,
      name: fields.name,
      cancelled: fields.cancelled,
    },
    source: "shopify",
    dedupeKey: `shopify:${delivery.shopDomain}:${delivery.webhookId}`,
  });
  return topic;
};

const customerRedactSchema = z.object({
  shop_domain: z.string().min(1),
  customer: z.object({
    id: z.union([z.number(), z.string()]).transform(String).nullish(),
    email: z.string().nullish(),
    phone: z.string().nullish(),
  }),
  orders_to_redact: z
    .array(z.union([z.number(), z.string()]).transform(String))
    .max(100_000)
    .default([]),
});
const shopRedactSchema = z.object({ shop_domain: z.string().min(1) });

function invalid(what: string, error: z.ZodError): Error {
  return new Error(
    `the ${what} payload is invalid: ${error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
  );
}

/**
 * customers/redact: the customer's personal data goes from their orders; lines and amounts stay
 * (accounting). redactOrders also records the redaction, so a later delivery of these orders
 * (a late retry, or an orders/updated with a newer updated_at) stores no personal data.
 *
 * Pending payloads are dropped FIRST: that waits for the deliveries being processed right now
 * (their rows are locked), and only then redactOrders takes the shop's redaction lock, which
 * order upserts take shared while holding their delivery's row lock. The other order would
 * deadlock with an order delivery in flight.
 */
const customerRedactHandler: Handler = async (tx, delivery, body) => {
  const parsed = customerRedactSchema.safeParse(body);
  if (!parsed.success) throw invalid("customers/redact", parsed.error);
  const { customer, orders_to_redact: orderIds } = parsed.data;
  const hashes = customer.email ? searchHashes(customer.email, "email") : [];
  const dropped = await dropPendingPayloads(tx, delivery, (payload) => {
    const order = payload as { id?: unknown; customer?: { id?: unknown } | null };
    return orderIds.includes(String(order.id)) || (customer.id != null && String(order.customer?.id) === customer.id);
  });
  const redacted = await redactOrders(tx, delivery.shopDomain, {
    customerId: customer.id ?? null,
    orderIds,
    emailHashes: hashes,
  });
  return `redacted ${redacted} order(s), dropped ${dropped} pending delivery payload(s)`;
};

/**
 * shop/redact (48 h after an uninstall): every customer's personal data of that shop goes, and a
 * shop-wide redaction is recorded (orders created before it never get personal data again).
 * Payloads first, as above.
 */
const shopRedactHandler: Handler = async (tx, delivery, body) => {
  const parsed = shopRedactSchema.safeParse(body);
  if (!parsed.success) throw invalid("shop/redact", parsed.error);
  const dropped = await dropPendingPayloads(tx, delivery, () => true);
  const redacted = await redactOrders(tx, delivery.shopDomain, null);
  return `redacted ${redacted} order(s), dropped ${dropped} pending delivery payload(s)`;
};

const productHandler: Handler = (tx, delivery, body) =>
  applyProductUpdate(
    tx,
    delivery.shopDomain,
    body,
    `shopify:${delivery.shopDomain}:${delivery.webhookId}`,
    delivery.triggeredAt,
  );
const inventoryHandler: Handler = (tx, delivery, body) =>
  applyInventoryLevel(
    tx,
    delivery.shopDomain,
    body,
    `shopify:${delivery.shopDomain}:${delivery.webhookId}`,
    delivery.triggeredAt,
  );

const dataRequestHandler: Handler = async (tx, delivery, body) =>
  `export ${await answerDataRequest(tx, delivery.shopDomain, body)} stored, admin notified`;

const fulfillmentSchema = z.object({
  order_id: z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,30}$/)]).transform(String),
  status: z.string().max(40).nullish(),
  tracking_number: z.string().max(200).nullish(),
  tracking_company: z.string().max(200).nullish(),
});

/** fulfillments/create: the order left the warehouse (Shopify's side of "shipped"). */
const fulfillmentHandler: Handler = async (tx, delivery, body) => {
  const parsed = fulfillmentSchema.safeParse(body);
  if (!parsed.success) throw invalid("fulfillments/create", parsed.error);
  const f = parsed.data;
  if (f.status && !["success", "open", "pending"].includes(f.status)) return `fulfillment ${f.status}: nothing to do`;
  const shipped = await markOrderShipped(
    tx,
    { shopDomain: delivery.shopDomain, shopifyOrderId: f.order_id },
    { trackingNumber: f.tracking_number ?? null, carrier: f.tracking_company ?? null, source: "shopify" },
  );
  // An unknown order is retried (its orders/create may still be on its way), then fails visibly.
  if (!shipped) throw new Error("the fulfilled order is not known (yet)");
  return shipped.published ? "order.shipped" : "already shipped";
};

export const HANDLERS: Record<string, Handler> = {
  "fulfillments/create": fulfillmentHandler,
  "customers/data_request": dataRequestHandler,
  "products/update": productHandler,
  "inventory_levels/update": inventoryHandler,
  "orders/create": orderHandler,
  "orders/updated": orderHandler,
  "orders/paid": orderHandler,
  "orders/cancelled": orderHandler,
  "customers/redact": customerRedactHandler,
  "shop/redact": shopRedactHandler,
};

/**
 * Other deliveries of the shop still holding a payload (pending or failed) that concern the
 * redacted data lose it: they are closed as processed, so a retry can never write it back.
 */
async function dropPendingPayloads(
  tx: Db,
  delivery: DeliveryContext,
  concerns: (payload: unknown) => boolean,
): Promise<number> {
  const rows = await queryRows<{ id: unknown; payload: string }>(
    tx,
    sql`select id, payload from shopify_deliveries where shop_domain = ${delivery.shopDomain} and id <> ${delivery.id}
          and status in ('pending', 'failed') and payload is not null for update`,
  );
  let dropped = 0;
  for (const row of rows) {
    let payload: unknown = null;
    try {
      payload = JSON.parse(decryptField(row.payload, PAYLOAD_CONTEXT));
    } catch {
      payload = null; // unreadable: it may concern the redacted data, and could never be processed anyway
    }
    if (payload !== null && !concerns(payload)) continue;
    await tx.execute(sql`update shopify_deliveries set status = 'processed', processed_at = now(), payload = null,
      last_error = 'dropped: its data was redacted' where id = ${Number(row.id)}`);
    dropped += 1;
  }
  return dropped;
}

/** Topics listed by the product whose handlers are still to come: kept pending, never dropped. */
export const AWAITING_HANDLER = new Set<string>();

/**
 * Stores a delivery unless it is a repeat: the same `(shop, webhook id)`, or the same topic and
 * body (its digest, whatever the unsigned headers say: a signed body replayed under a new webhook
 * id or another shop's domain is a duplicate). A repeat stores nothing and answers the first one.
 */
export async function storeDelivery(
  db: Db,
  delivery: ShopifyDelivery,
  rawBody: string,
): Promise<{ id: number; duplicate: boolean }> {
  const digest = deliveryDigest(delivery.topic, rawBody);
  const inserted = await queryRows<{ id: unknown }>(
    db,
    sql`insert into shopify_deliveries (shop_domain, webhook_id, topic, event_id, triggered_at, api_version, payload, body_digest)
        values (${delivery.shopDomain}, ${delivery.webhookId}, ${delivery.topic}, ${delivery.eventId}, ${delivery.triggeredAt}::timestamptz,
                ${delivery.apiVersion}, ${encryptField(rawBody, PAYLOAD_CONTEXT)}, ${digest})
        on conflict do nothing returning id`,
  );
  if (inserted[0]) return { id: Number(inserted[0].id), duplicate: false };
  const [existing] = await queryRows<{ id: unknown }>(
    db,
    sql`select id from shopify_deliveries
        where (shop_domain = ${delivery.shopDomain} and webhook_id = ${delivery.webhookId}) or body_digest = ${digest}
        order by id limit 1`,
  );
  // Gone between the conflict and the read (pruned at that instant): nothing to answer but a duplicate.
  return { id: existing ? Number(existing.id) : 0, duplicate: true };
}

export type ProcessOutcome = "processed" | "ignored" | "awaiting_handler" | "retrying" | "failed" | "skipped";

type Row = {
  id: unknown;
  shop_domain: string;
  webhook_id: string;
  topic: string;
  triggered_at: unknown;
  payload: string | null;
  attempts: unknown;
};

export async function processDelivery(db: Db, id: number): Promise<ProcessOutcome> {
  return db.transaction(async (tx) => {
    const [row] = await queryRows<Row>(
      tx,
      sql`select id, shop_domain, webhook_id, topic, triggered_at, payload, attempts from shopify_deliveries
          where id = ${id} and status = 'pending' and (next_attempt_at is null or next_attempt_at <= now())
          for update skip locked`,
    );
    if (!row) return "skipped";
    const handler = HANDLERS[row.topic];
    if (!handler) {
      if (AWAITING_HANDLER.has(row.topic)) return "awaiting_handler";
      await tx.execute(sql`update shopify_deliveries set status = 'processed', processed_at = now(), payload = null,
        last_error = 'ignored: no handler for this topic' where id = ${id}`);
      log.info("shopify delivery ignored: unknown topic", { id, topic: row.topic });
      return "ignored";
    }
    const delivery: DeliveryContext = {
      id,
      shopDomain: row.shop_domain,
      webhookId: row.webhook_id,
      topic: row.topic,
      triggeredAt: row.triggered_at ? new Date(String(row.triggered_at)).toISOString() : null,
    };
    try {
      const body: unknown = JSON.parse(decryptField(row.payload ?? "", PAYLOAD_CONTEXT));
      // Checked again here: a delivery stored before the route checked it (issue 15) must not erase another shop's data either.
      assertBodyFitsDelivery(delivery, body);
      // A savepoint: a handler that fails leaves nothing behind, and the failure is still recorded.
      const note = await tx.transaction((sp) => handler(sp, delivery, body));
      await tx.execute(sql`update shopify_deliveries set status = 'processed', processed_at = now(), payload = null,
        attempts = attempts + 1, last_error = ${note.startsWith("stale") ? note : null} where id = ${id}`);
      return "processed";
    } catch (error) {
      // Messages name fields, never their values (the payload holds personal data).
      const message =
        error instanceof SyntaxError
          ? "the payload is not JSON"
          : error instanceof Error
            ? error.message.slice(0, 500)
            : "unknown error";
      const attempts = Number(row.attempts) + 1;
      const final = attempts >= MAX_ATTEMPTS;
      await tx.execute(sql`update shopify_deliveries set attempts = ${attempts}, last_error = ${message},
        status = ${final ? "failed" : "pending"},
        next_attempt_at = ${final ? null : sql`now() + ${30 * 2 ** (attempts - 1)} * interval '1 second'`} where id = ${id}`);
      log.warn(final ? "shopify delivery failed for good" : "shopify delivery failed, will retry", {
        id,
        topic: row.topic,
        attempts,
        error: message,
      });
      return final ? "failed" : "retrying";
    }
  });
}

/** The sweep: pending deliveries of handled topics, oldest first (the ones the answering process did not finish). */
export async function processPendingDeliveries(
  db: Db,
  params: { limit: number },
): Promise<Partial<Record<ProcessOutcome, number>>> {
  const due = await queryRows<{ id: unknown }>(
    db,
    sql`select id from shopify_deliveries
        where status = 'pending' and topic = any(${sql.param(Object.keys(HANDLERS))}::text[])
          and (next_attempt_at is null or next_attempt_at <= now())
        order by received_at, id limit ${params.limit}`,
  );
  const counts: Partial<Record<ProcessOutcome, number>> = {};
  for (const { id } of due) {
    const outcome = await processDelivery(db, Number(id));
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  return counts;
}

/** Milliseconds until the earliest Shopify delivery scheduled for another try (0: due now), or null. */
export async function nextDeliveryRetryInMs(db: Db): Promise<number | null> {
  const [row] = await queryRows<{ ms: unknown }>(
    db,
    sql`select extract(epoch from (min(next_attempt_at) - now())) * 1000 as ms from shopify_deliveries
        where status = 'pending' and next_attempt_at is not null and topic = any(${sql.param(Object.keys(HANDLERS))}::text[])`,
  );
  return row?.ms === null || row?.ms === undefined ? null : Math.max(0, Math.ceil(Number(row.ms)));
}
