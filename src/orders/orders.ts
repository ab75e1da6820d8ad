/**
 * Orders: written from Shopify deliveries, read by the API. Personal data is encrypted before it
 * reaches SQL (src/privacy/crypto.ts; the contexts below bind each token to its column) and
 * decrypted only in `toOrder`; events and logs carry order ids, never personal data.
 *
 * Out-of-order deliveries: every write carries the source time of its data (Shopify's
 * `updated_at`, else the delivery's `X-Shopify-Triggered-At`), and the upsert applies only data
 * strictly newer than what is stored (`where excluded.source_updated_at > orders.source_updated_at`),
 * so a late retry of an older payload never overwrites newer data.
 */
import { is, sql } from "drizzle-orm";
import { PgTransaction } from "drizzle-orm/pg-core";
import { queryRows, type Db } from "@/db/client";
import { keysetPage } from "@/db/keyset";
import type { OrderStatus } from "@/db/schema";
import { publishEventInTx } from "@/engine/events";
import { toIso } from "@/db/rows";
import { decryptOptional, encryptOptional, searchHashes, searchHashOptional } from "@/privacy/crypto";
import { maskEmail } from "@/privacy/mask";
import { NotFoundError } from "@/errors";
import type { OrderFields, OrderTotals } from "./shopify-order";

export const CONTEXT = {
  name: "orders.customer_name",
  email: "orders.customer_email",
  phone: "orders.customer_phone",
  address: "orders.shipping_address",
} as const;

/** A customer's personal fields as stored: each encrypted under its column's context, the email's search hash beside it. */
export function sealCustomer(plain: {
  name: string | null;
  email: string | null;
  phone: string | null;
  address: string | null;
}) {
  return {
    name: encryptOptional(plain.name, CONTEXT.name),
    email: encryptOptional(plain.email, CONTEXT.email),
    phone: encryptOptional(plain.phone, CONTEXT.phone),
    address: encryptOptional(plain.address, CONTEXT.address),
    emailHash: searchHashOptional(plain.email, "email"),
  };
}

export interface Order {
  id: string;
  shopifyId: string;
  shopDomain: string;
  name: string;
  currency: string;
  totalPrice: string;
  /** How the total adds up (Shopify's arithmetic); null when unknown (manual orders, orders stored before it was kept). */
  totals: OrderTotals | null;
  financialStatus: string | null;
  status: OrderStatus;
  lineItems: { sku: string | null; title: string; quantity: number; price: string }[];
  customer: { name: string | null; email: string | null; phone: string | null } | null;
  createdAt: string;
  updatedAt: string;
}

export type OrderChange = "created" | "updated" | "stale";

export interface UpsertResult {
  id: string | null;
  change: OrderChange;
}

/**
 * Redactions and order writes of a shop are serialised by this transaction-scoped advisory lock:
 * a redaction takes it exclusively before it anonymises and records (redactOrders), an order
 * write takes it shared before its upsert statement. In READ COMMITTED every statement reads a
 * fresh snapshot, so the upsert, run once the lock is held, sees every committed redaction, and a
 * redaction, run once the writes in flight have committed, anonymises what they wrote. Without it
 * an upsert whose snapshot predates a concurrent redaction could write the data back.
 */
const redactionLock = (shopDomain: string) => sql`hashtext(${`privacy_redactions:${shopDomain}`})`;

/** `work` in the caller's transaction, else in its own: the lock must outlive the statement. */
function inTransaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  return is(db, PgTransaction) ? work(db) : db.transaction(work);
}

/**
 * Stores an order's latest data; `stale` when what is stored is as new or newer (nothing written).
 *
 * An order a redaction covers (privacy_redactions) is stored with NO personal data (customer id,
 * name, email, phone, address, email hash all null), whatever the delivery carries: a late retry,
 * or an out-of-order delivery with a newer `updated_at`, must not bring back what was redacted.
 * Its other data (amounts, lines, status) is still applied. An order is covered when:
 * - Shopify listed its id in the redaction, or the redaction anonymised it (e.g. found by email);
 * - the redaction was of its customer (by Shopify customer id) and the order was created AT OR
 *   BEFORE the redaction. An order the same customer places AFTER the redaction is kept: it is
 *   new data the customer gave the shop after asking for the old to be erased (a new erasure
 *   request brings a new customers/redact), and blanking it would leave an order we cannot
 *   fulfil or tell the customer about. "Before" compares Shopify's created_at with our clock at
 *   the redaction (not Shopify's request time): the orders the redaction anonymised are listed
 *   by id anyway;
 * - the shop was redacted (shop/redact) after the order was created.
 * An order without `created_at` counts as created before any redaction (the safe side).
 * The check is part of the upsert statement, run under the shop's redaction lock (see above).
 */
export async function upsertShopifyOrder(
  db: Db,
  shopDomain: string,
  fields: OrderFields,
  sourceAt: string | null,
): Promise<UpsertResult> {
  const status: OrderStatus = fields.cancelled ? "cancelled" : "open";
  const createdAt = sql`coalesce(${fields.createdAt}::timestamptz, '-infinity'::timestamptz)`;
  /** The value, or null when a redaction covers the order. */
  const personal = (value: string | null | undefined) =>
    sql`case when covered.redacted then null else ${value ?? null}::text end`;
  const sealed = sealCustomer({ ...fields.customer, address: fields.shippingAddress });
  const t = fields.totals;
  return inTransaction(db, async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock_shared(${redactionLock(shopDomain)})`);
    const rows = await queryRows<{ id: string; inserted: boolean }>(
      tx,
      sql`with covered as (
            select exists (
              select 1 from privacy_redactions r
              where r.shop_domain = ${shopDomain}
                and (r.shopify_order_ids @> array[${fields.shopifyId}::text]
                  or (r.scope = 'customer' and ${fields.shopifyCustomerId}::text is not null and r.shopify_customer_id = ${fields.shopifyCustomerId}
                      and ${createdAt} <= r.redacted_at)
                  or (r.scope = 'shop' and ${createdAt} < r.redacted_at))
            ) as redacted
          )
          insert into orders (shop_domain, shopify_id, name, currency, total_price, total_discounts, total_shipping, total_tax, taxes_included, total_extras,
            financial_status, status, line_items, shopify_customer_id,
            customer_name, customer_email, customer_phone, shipping_address, customer_email_hash, source_updated_at, created_at)
          select ${shopDomain}, ${fields.shopifyId}, ${fields.name}, ${fields.currency}, ${fields.totalPrice}::numeric,
            ${t?.discounts ?? null}::numeric, ${t?.shipping ?? null}::numeric, ${t?.tax ?? null}::numeric, ${t?.taxesIncluded ?? null}::boolean, ${t?.extras ?? null}::numeric,
            ${fields.financialStatus}, ${status},
            ${JSON.stringify(fields.lineItems)}::jsonb, ${personal(fields.shopifyCustomerId)},
            ${personal(sealed.name)}, ${personal(sealed.email)}, ${personal(sealed.phone)}, ${personal(sealed.address)},
            ${personal(sealed.emailHash)}, ${sourceAt}::timestamptz, coalesce(${fields.createdAt}::timestamptz, now())
          from covered
          on conflict (shop_domain, shopify_id) do update set
            name = excluded.name, currency = excluded.currency, total_price = excluded.total_price,
            total_discounts = excluded.total_discounts, total_shipping = excluded.total_shipping, total_tax = excluded.total_tax,
            taxes_included = excluded.taxes_included, total_extras = excluded.total_extras,
            financial_status = excluded.financial_status, line_items = excluded.line_items,
            shopify_customer_id = excluded.shopify_customer_id, customer_name = excluded.customer_name,
            customer_email = excluded.customer_email, customer_phone = excluded.customer_phone,
            shipping_address = excluded.shipping_address, customer_email_hash = excluded.customer_email_hash,
            -- Cancelling wins over any state; otherwise the order keeps its own progress (processing, shipped…).
            status = case when excluded.status = 'cancelled' then 'cancelled' else orders.status end,
            source_updated_at = excluded.source_updated_at, updated_at = now()
          where orders.source_updated_at is null or excluded.source_updated_at > orders.source_updated_at
          returning id, (xmax = 0) as inserted`,
    );
    const row = rows[0];
    if (!row) return { id: null, change: "stale" as const };
    return { id: row.id, change: row.inserted ? ("created" as const) : ("updated" as const) };
  });
}

type OrderRow = {
  id: string;
  shopify_id: string;
  shop_domain: string;
  name: string;
  currency: string;
  total_price: unknown;
  financial_status: string | null;
  total_discounts: string | null;
  total_shipping: string | null;
  total_tax: string | null;
  taxes_included: boolean | null;
  total_extras: string | null;
  status: OrderStatus;
  line_items: Order["lineItems"];
  customer_name: string | null;
  customer_email: string | null;
  customer_phone: string | null;
  created_at: unknown;
  updated_at: unknown;
  cursor_at: string;
};

const COLUMNS = sql`id, shopify_id, shop_domain, name, currency, total_price::text as total_price, financial_status, status, line_items,
  total_discounts::text as total_discounts, total_shipping::text as total_shipping, total_tax::text as total_tax, taxes_included, total_extras::text as total_extras,
  customer_name, customer_email, customer_phone, created_at, updated_at,
  to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at`;

function toOrder(r: OrderRow): Order {
  const name = decryptOptional(r.customer_name, CONTEXT.name) ?? null;
  const email = decryptOptional(r.customer_email, CONTEXT.email) ?? null;
  const phone = decryptOptional(r.customer_phone, CONTEXT.phone) ?? null;
  return {
    id: r.id,
    shopifyId: r.shopify_id,
    shopDomain: r.shop_domain,
    name: r.name,
    currency: r.currency,
    totalPrice: String(r.total_price),
    totals:
      r.total_discounts === null
        ? null
        : {
            discounts: r.total_discounts,
            shipping: r.total_shipping ?? "0.00",
            tax: r.total_tax ?? "0.00",
            taxesIncluded: r.taxes_included ?? true,
            extras: r.total_extras ?? "0.00",
          },
    financialStatus: r.financial_status,
    status: r.status,
    lineItems: r.line_items,
    customer: name || email || phone ? { name, email, phone } : null,
    createdAt: toIso(r.created_at)!,
    updatedAt: toIso(r.updated_at)!,
  };
}

export async function getOrder(db: Db, id: string): Promise<Order> {
  const [row] = await queryRows<OrderRow>(db, sql`select ${COLUMNS} from orders where id = ${id}`);
  if (!row) throw new NotFoundError(`No order has the id ${id}.`);
  return toOrder(row);
}

export interface ListOrdersParams {
  status?: OrderStatus;
  shopDomain?: string;
  /** The customer's email: matched through its keyed search hashes (every key version), never in clear. */
  email?: string;
  limit: number;
  /** `createdAt|id` of the previous page's last order (microsecond time). */
  cursor?: { createdAt: string; id: string };
}

/** Newest first, in keyset pages (orders_created_idx / orders_status_created_idx scanned backwards). */
export async function listOrders(
  db: Db,
  params: ListOrdersParams,
): Promise<{ orders: Order[]; nextCursor: string | null }> {
  const c = params.cursor;
  const emailHashes = params.email ? searchHashes(params.email, "email") : null;
  const rows = await queryRows<OrderRow>(
    db,
    sql`select ${COLUMNS} from orders
        where (${params.status ?? null}::text is null or status = ${params.status ?? null})
          and (${params.shopDomain ?? null}::text is null or shop_domain = ${params.shopDomain ?? null})
          and (${emailHashes === null} or customer_email_hash = any(${sql.param(emailHashes ?? [])}::text[]))
          and (${c?.createdAt ?? null}::timestamptz is null or (created_at, id) < (${c?.createdAt ?? null}::timestamptz, ${c?.id ?? null}::uuid))
        order by created_at desc, id desc limit ${params.limit + 1}`,
  );
  const { page, nextCursor } = keysetPage(rows, params.limit);
  return { orders: page.map(toOrder), nextCursor };
}

/**
 * What a viewer sees of the customer: initials and masked contacts. Operators, who act on
 * orders (and answer customers), see them in clear; every read stays inside the API.
 */
export function maskCustomer(order: Order): Order {
  if (!order.customer) return order;
  const { name, email, phone } = order.customer;
  return {
    ...order,
    customer: {
      name: name
        ? name
            .split(/\s+/)
            .map((part) => `${part.slice(0, 1)}.`)
            .join(" ")
        : null,
      email: email ? maskEmail(email) : null,
      phone: phone ? `${"*".repeat(Math.max(0, phone.length - 2))}${phone.slice(-2)}` : null,
    },
  };
}

/**
 * Anonymises orders of a shop: every personal field (and the email's search hash and the
 * Shopify customer id) set to null; names, lines, amounts and statuses stay for accounting.
 * `who` null: every order of the shop (shop/redact); else the customer's orders, found by
 * customer id, by the order ids Shopify lists, or by email (search hashes of every key version).
 *
 * In the same transaction, under the shop's redaction lock (see redactionLock), it records the
 * redaction in privacy_redactions, so later order deliveries store no personal data for these
 * orders (upsertShopifyOrder): the customer id, the listed ids and the ids of every order
 * anonymised here (those found by email only too); for shop/redact a shop-wide row. No email
 * or search hash is kept.
 */
export async function redactOrders(
  db: Db,
  shopDomain: string,
  who: { customerId: string | null; orderIds: string[]; emailHashes: string[] } | null,
): Promise<number> {
  const match = who
    ? sql`and ((${who.customerId}::text is not null and shopify_customer_id = ${who.customerId})
             or shopify_id = any(${sql.param(who.orderIds)}::text[])
             or customer_email_hash = any(${sql.param(who.emailHashes)}::text[]))`
    : sql``;
  return inTransaction(db, async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${redactionLock(shopDomain)})`);
    const rows = await queryRows<{ id: string; shopify_id: string }>(
      tx,
      sql`update orders set customer_name = null, customer_email = null, customer_phone = null, shipping_address = null,
            customer_email_hash = null, shopify_customer_id = null, updated_at = now()
          where shop_domain = ${shopDomain} ${match} returning id, shopify_id`,
    );
    // Emails about these orders (the customer notices of the order workflow, stored encrypted):
    // erased too, and one not sent yet is never sent.
    const noticeKeys = rows.flatMap((r) => [`order-notify:${r.id}:confirmed`, `order-notify:${r.id}:shipped`]);
    if (noticeKeys.length > 0) {
      await tx.execute(
        sql`update outbox set recipient = '[redacted]', body = '[redacted]', rich = null, next_attempt_at = null,
              last_error = case when status = 'pending' then 'not sent: the customer''s data was redacted' else last_error end,
              status = case when status = 'pending' then 'failed' else status end
            where dedupe_key = any(${sql.param(noticeKeys)}::text[])`,
      );
    }
    // An export made for an earlier data request holds the same data: a redaction supersedes it.
    if (!who) await tx.execute(sql`delete from data_exports where shop_domain = ${shopDomain}`);
    else if (who.customerId)
      await tx.execute(
        sql`delete from data_exports where shop_domain = ${shopDomain} and shopify_customer_id = ${who.customerId}`,
      );
    const orderIds = who ? [...new Set([...who.orderIds, ...rows.map((r) => r.shopify_id)])] : [];
    await tx.execute(
      sql`insert into privacy_redactions (shop_domain, scope, shopify_customer_id, shopify_order_ids)
          values (${shopDomain}, ${who ? "customer" : "shop"}, ${who?.customerId ?? null}, ${sql.param(orderIds)}::text[])`,
    );
    return rows.length;
  });
}

/**
 * Marks an order shipped and publishes `order.shipped` ONCE per order, whoever notices first
 * (a Shopify fulfillment, or the supplier's tracking in src/orders/fulfilment.ts): the event's
 * dedupe key is the order's. `order` names it by Shopify id or by ours. Answers null when the
 * order is unknown.
 */
export async function markOrderShipped(
  db: Db,
  order: { shopDomain: string; shopifyOrderId: string } | { id: string },
  params: { trackingNumber: string | null; carrier: string | null; source: string },
): Promise<{ orderId: string; published: boolean } | null> {
  const match =
    "id" in order
      ? sql`id = ${order.id}`
      : sql`shop_domain = ${order.shopDomain} and shopify_id = ${order.shopifyOrderId}`;
  const [row] = await queryRows<{ id: string; shop_domain: string }>(
    db,
    sql`update orders set status = case when status = 'cancelled' then status else 'shipped' end, updated_at = now()
        where ${match} returning id, shop_domain`,
  );
  if (!row) return null;
  const published = await publishEventInTx(db, {
    topic: "order.shipped",
    data: {
      orderId: row.id,
      shopDomain: row.shop_domain,
      trackingNumber: params.trackingNumber,
      carrier: params.carrier,
    },
    source: params.source,
    dedupeKey: `order.shipped:${row.id}`,
  });
  return { orderId: row.id, published: !published.duplicate };
}
