/**
 * Orders written by operators through the API (`POST /api/orders`, `PUT /api/orders/<id>`) and
 * the manual start of the order workflow (`POST /api/orders/<id>/process`).
 *
 * A manual order (a phone order, a re-shipment) lives beside Shopify's: shop `manual` unless the
 * caller names one, and its own id as `shopifyId` unless given (the pair is unique: a repeat is
 * a 409, never a second order). It is stored exactly like a Shopify order (personal data
 * encrypted, search hash of the email) and publishes `order.created`, which starts the order
 * workflow, or `order.updated`, with ids only.
 */
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import type { ORDER_STATUSES } from "@/db/schema";
import { publishEventInTx } from "@/engine/events";
import { startRun } from "@/engine/start-run";
import { ConflictError, NotFoundError } from "@/errors";
import { getOrder, sealCustomer, type Order } from "./orders";

const money = z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, "must be an amount like 87.20");
const text = (max: number) => z.string().trim().min(1).max(max);

const customerInput = z.strictObject({
  name: text(200).nullish(),
  email: z.email().max(320).nullish(),
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9 ()-]{4,40}$/, "must be a phone number")
    .nullish(),
});

/** The shipping address, in Shopify's field names (what the supplier adapter reads). */
const addressInput = z.strictObject({
  name: text(200),
  address1: text(300),
  address2: text(300).nullish(),
  city: text(100),
  zip: text(20),
  province: text(100).nullish(),
  country_code: z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code like DE"),
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9 ()-]{4,40}$/, "must be a phone number")
    .nullish(),
});

const lineInput = z.strictObject({
  sku: text(100),
  title: text(300),
  quantity: z.number().int().min(1).max(10_000),
  price: money,
});

/**
 * How a manual order's total adds up, as for Shopify's orders (validate_order checks it exactly
 * when given). Without it the lines' sum is only a floor of the total.
 */
const totalsInput = z.strictObject({
  discounts: money.default("0.00"),
  shipping: money.default("0.00"),
  tax: money.default("0.00"),
  taxesIncluded: z.boolean().default(true),
  extras: money.default("0.00"),
});

export const createOrderInput = z.strictObject({
  shopDomain: text(255).default("manual"),
  shopifyId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,100}$/)
    .optional(),
  name: text(100),
  currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code like EUR"),
  totalPrice: money,
  financialStatus: z.enum(["pending", "authorized", "paid", "partially_paid", "refunded", "voided"]).default("paid"),
  lineItems: z.array(lineInput).min(1).max(500),
  totals: totalsInput.nullish(),
  customer: customerInput.nullish(),
  shippingAddress: addressInput.nullish(),
});
export type CreateOrderInput = z.output<typeof createOrderInput>;

/** What an operator may change. The status only moves to `cancelled` or back to `open` (to reprocess); the workflow moves the rest. */
export const updateOrderInput = z
  .strictObject({
    status: z.enum(["open", "cancelled"] satisfies (typeof ORDER_STATUSES)[number][]).optional(),
    financialStatus: createOrderInput.shape.financialStatus.unwrap().optional(),
    customer: customerInput.nullable().optional(),
    shippingAddress: addressInput.nullable().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, {
    message: "nothing to change: give status, financialStatus, customer or shippingAddress",
  });
export type UpdateOrderInput = z.output<typeof updateOrderInput>;

function personalColumns(customer: CreateOrderInput["customer"], address: CreateOrderInput["shippingAddress"]) {
  return sealCustomer({
    name: customer?.name ?? null,
    email: customer?.email ?? null,
    phone: customer?.phone ?? address?.phone ?? null,
    address: address ? JSON.stringify(address) : null,
  });
}

/** Stores a manual order and publishes `order.created` (which starts the order workflow). */
export async function createOrder(db: Db, input: CreateOrderInput): Promise<Order> {
  const p = personalColumns(input.customer, input.shippingAddress);
  const shopifyId = input.shopifyId ?? randomUUID();
  const t = input.totals;
  const id = await db.transaction(async (tx) => {
    const [row] = await queryRows<{ id: string }>(
      tx,
      sql`insert into orders (shop_domain, shopify_id, name, currency, total_price, financial_status, line_items,
            customer_name, customer_email, customer_phone, shipping_address, customer_email_hash,
            total_discounts, total_shipping, total_tax, taxes_included, total_extras)
          values (${input.shopDomain}, ${shopifyId}, ${input.name}, ${input.currency}, ${input.totalPrice}, ${input.financialStatus},
            ${JSON.stringify(input.lineItems)}::jsonb, ${p.name}, ${p.email}, ${p.phone}, ${p.address}, ${p.emailHash},
            ${t?.discounts ?? null}::numeric, ${t?.shipping ?? null}::numeric, ${t?.tax ?? null}::numeric, ${t?.taxesIncluded ?? null}::boolean, ${t?.extras ?? null}::numeric)
          on conflict (shop_domain, shopify_id) do nothing returning id`,
    );
    if (!row) throw new ConflictError(`An order ${shopifyId} of ${input.shopDomain} already exists.`);
    await publishEventInTx(tx, {
      topic: "order.created",
      data: { orderId: row.id, shopifyId, shopDomain: input.shopDomain, name: input.name, cancelled: false },
      source: "api",
    });
    return row.id;
  });
  return getOrder(db, id);
}

/** Applies an operator's change and publishes `order.updated` (ids only). */
export async function updateOrder(db: Db, id: string, input: UpdateOrderInput): Promise<Order> {
  const sets = [sql`updated_at = now()`];
  if (input.status) sets.push(sql`status = ${input.status}`);
  if (input.financialStatus) sets.push(sql`financial_status = ${input.financialStatus}`);
  if (input.customer !== undefined) {
    const p = personalColumns(input.customer, undefined);
    sets.push(
      sql`customer_name = ${p.name}, customer_email = ${p.email}, customer_phone = ${p.phone}, customer_email_hash = ${p.emailHash}`,
    );
  }
  if (input.shippingAddress !== undefined)
    sets.push(sql`shipping_address = ${personalColumns(null, input.shippingAddress).address}`);
  await db.transaction(async (tx) => {
    const [row] = await queryRows<{
      id: string;
      shopify_id: string;
      shop_domain: string;
      name: string;
      status: string;
    }>(
      tx,
      sql`update orders set ${sql.join(sets, sql`, `)} where id = ${id} returning id, shopify_id, shop_domain, name, status`,
    );
    if (!row) throw new NotFoundError(`No order has the id ${id}.`);
    await publishEventInTx(tx, {
      topic: "order.updated",
      data: {
        orderId: row.id,
        shopifyId: row.shopify_id,
        shopDomain: row.shop_domain,
        name: row.name,
        cancelled: row.status === "cancelled",
      },
      source: "api",
    });
  });
  return getOrder(db, id);
}

/**
 * Starts the order workflow for an order now. A run still going for the order is answered
 * instead of a second one (`created: false`); a cancelled or shipped order is a conflict.
 */
export async function processOrder(db: Db, id: string): Promise<{ runId: string; created: boolean }> {
  const order = await getOrder(db, id);
  if (order.status === "cancelled" || order.status === "shipped")
    throw new ConflictError(`Order ${order.name} is ${order.status}: there is nothing to process.`);
  const [active] = await queryRows<{ id: string }>(
    db,
    // The workflow's concurrency key is the order id (runs_concurrency_idx).
    sql`select id from runs where workflow = 'order_processing' and concurrency_key = ${id}
          and status not in ('succeeded', 'failed', 'cancelled') order by created_at desc limit 1`,
  );
  if (active) return { runId: active.id, created: false };
  const run = await startRun(db, { workflow: "order_processing", input: { orderId: id }, priority: "high" });
  return { runId: run.id, created: run.created };
}
