/**
 * What the order workflow does to an order (workflows/order_processing.yaml, through the orders
 * agent): validate it, check stock, pick the supplier, submit, follow the tracking, tell the
 * customer. Every function takes the order's id and reads the order itself, so run inputs and
 * outputs, events and logs carry ids, SKUs and counts, never the customer's personal data; the
 * address and the email are decrypted here, at the moment they are sent, and nowhere else.
 *
 * Not ordering twice. A submission is deduplicated twice over: locally, an existing shipment
 * for (order, supplier) is answered without calling the supplier; at the supplier, our order id
 * is the `out_order_id`, so a retry after a lost answer returns the order placed the first time.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { ConfigError } from "@/env";
import { CodedError } from "@/errors";
import {
  createSupplierClient,
  supplierConfig,
  type SupplierAddress,
  type SupplierClient,
} from "@/integrations/supplier/aliexpress";
import { deliverMessage, enqueueMessage } from "@/notifications/outbox";
import { decryptOptional } from "@/privacy/crypto";
import { CONTEXT, getOrder, markOrderShipped, type Order } from "./orders";
import { recordShipment, type Shipment } from "./suppliers";

/** The order cannot go on as it is (a person must look at it): 422, the step fails at once. */
export class OrderNotProcessable extends CodedError {
  constructor(message: string, details?: unknown) {
    super("unprocessable", message, details);
  }
}

export interface Problem {
  field: string;
  message: string;
}

const cents = (amount: string) => Math.round(Number(amount) * 100);
const linesCents = (order: Pick<Order, "lineItems">) =>
  order.lineItems.reduce((sum, l) => sum + cents(l.price) * l.quantity, 0);
const amount = (c: number) => (c / 100).toFixed(2);

/**
 * The total the order's parts add up to, in cents, with how: Shopify's arithmetic (lines −
 * discounts + shipping + taxes when not included in the prices + tips, duties and fees) when the
 * order carries it; else (manual orders, orders stored before it was kept) the lines' sum, which
 * is then a floor (shipping and taxes may add to it), not an exact total.
 */
export function expectedTotal(order: Pick<Order, "lineItems" | "totals">): {
  cents: number;
  exact: boolean;
  how: string;
} {
  const lines = linesCents(order);
  const t = order.totals;
  if (!t) return { cents: lines, exact: false, how: `the lines' sum ${amount(lines)}` };
  const tax = t.taxesIncluded ? 0 : cents(t.tax);
  const total = lines - cents(t.discounts) + cents(t.shipping) + tax + cents(t.extras);
  const parts = [`lines ${amount(lines)}`, `− discounts ${t.discounts}`, `+ shipping ${t.shipping}`];
  if (!t.taxesIncluded) parts.push(`+ taxes ${t.tax}`);
  if (cents(t.extras) !== 0) parts.push(`+ tips, duties and fees ${t.extras}`);
  return { cents: total, exact: true, how: `${parts.join(" ")} = ${amount(total)}` };
}

/** The checks an order must pass before it goes to a supplier. Problems name fields, never values of personal data. */
export function orderProblems(order: Order): Problem[] {
  const problems: Problem[] = [];
  if (order.lineItems.length === 0) problems.push({ field: "lineItems", message: "the order has no lines" });
  const skus = new Set<string>();
  order.lineItems.forEach((line, i) => {
    if (!line.sku)
      problems.push({
        field: `lineItems[${i}].sku`,
        message: "the line has no SKU (the supplier cannot be told what to send)",
      });
    else if (skus.has(line.sku)) problems.push({ field: `lineItems[${i}].sku`, message: `duplicate sku ${line.sku}` });
    if (line.sku) skus.add(line.sku);
    if (line.quantity < 1)
      problems.push({ field: `lineItems[${i}].quantity`, message: "the quantity is not positive" });
  });
  // Amounts are no personal data: the message may show them, so an operator sees what is off.
  const expected = expectedTotal(order);
  if (expected.exact && cents(order.totalPrice) !== expected.cents) {
    problems.push({
      field: "totalPrice",
      message: `${order.totalPrice} does not match Shopify's arithmetic: ${expected.how}`,
    });
  } else if (!expected.exact && cents(order.totalPrice) < expected.cents) {
    problems.push({ field: "totalPrice", message: `${order.totalPrice} is less than ${expected.how}` });
  }
  if (!["paid", "partially_paid"].includes(order.financialStatus ?? ""))
    problems.push({ field: "financialStatus", message: `not paid (${order.financialStatus ?? "unknown"})` });
  if (order.status === "cancelled") problems.push({ field: "status", message: "the order is cancelled" });
  if (!order.customer?.email && !order.customer?.phone)
    problems.push({ field: "customer", message: "no way to reach the customer" });
  return problems;
}

export interface Validation {
  valid: true;
  itemCount: number;
  computedTotal: string;
}

/** Validates a stored order; an order that cannot be fulfilled is refused with its problems. */
export async function validateOrder(db: Db, orderId: string): Promise<Validation> {
  const order = await getOrder(db, orderId);
  const problems = orderProblems(order);
  if (problems.length > 0)
    throw new OrderNotProcessable(
      `Order ${order.name} cannot be fulfilled: ${problems.map((p) => p.message).join("; ")}.`,
      problems,
    );
  return {
    valid: true,
    itemCount: order.lineItems.reduce((n, l) => n + l.quantity, 0),
    computedTotal: amount(expectedTotal(order).cents),
  };
}

export interface StockLine {
  sku: string;
  requested: number;
  /** The shop's stock of the SKU; null when the shop does not track it (no product known). */
  inStock: number | null;
}

/**
 * Stock of every line (summed per SKU) from the products Shopify keeps us informed of. A SKU
 * with no known product is not tracked (Shopify lets a shop sell untracked items, and a
 * dropshipping shop often does): it does not block. A tracked SKU short of stock refuses the order.
 */
export async function checkInventory(db: Db, orderId: string): Promise<{ available: true; lines: StockLine[] }> {
  const order = await getOrder(db, orderId);
  const requested = new Map<string, number>();
  for (const line of order.lineItems)
    if (line.sku) requested.set(line.sku, (requested.get(line.sku) ?? 0) + line.quantity);
  const skus = [...requested.keys()];
  const stock = await queryRows<{ sku: string; available: unknown }>(
    db,
    sql`select sku, sum(available)::int as available from products
        where shop_domain = ${order.shopDomain} and sku = any(${sql.param(skus)}::text[]) group by sku`,
  );
  const bySku = new Map(stock.map((s) => [s.sku, Number(s.available)]));
  const lines = skus.map((sku) => ({ sku, requested: requested.get(sku)!, inStock: bySku.get(sku) ?? null }));
  const short = lines.filter((l) => l.inStock !== null && l.inStock < l.requested);
  if (short.length > 0) {
    throw new OrderNotProcessable(
      `Order ${order.name} is short of stock: ${short.map((l) => `${l.sku} (${l.inStock} of ${l.requested})`).join(", ")}.`,
      short,
    );
  }
  return { available: true, lines };
}

export interface SupplierOrderPlan {
  orderId: string;
  supplierId: string;
  currency: string;
  lines: { sku: string; quantity: number }[];
}

/**
 * The supplier to order from: the oldest one registered. With none registered, a supplier named
 * `default` is created (its API is SUPPLIER_API_URL, or the local simulator), so a fresh install
 * processes orders without a set-up step; mapping SKUs to several suppliers is not built yet.
 */
export async function defaultSupplierId(db: Db): Promise<string> {
  const [existing] = await queryRows<{ id: string }>(db, sql`select id from suppliers order by created_at, id limit 1`);
  if (existing) return existing.id;
  await db.execute(sql`insert into suppliers (name) values ('default') on conflict (name) do nothing`);
  const [created] = await queryRows<{ id: string }>(db, sql`select id from suppliers where name = 'default'`);
  return created!.id;
}

/** The supplier order for a stored order (ids, SKUs and quantities only), and the order marked `processing`. */
export async function prepareSupplierOrder(db: Db, orderId: string): Promise<SupplierOrderPlan> {
  const order = await getOrder(db, orderId);
  if (order.status === "cancelled") throw new OrderNotProcessable(`Order ${order.name} is cancelled.`);
  const quantities = new Map<string, number>();
  for (const line of order.lineItems) {
    if (!line.sku) throw new OrderNotProcessable(`Order ${order.name} has a line without a SKU.`);
    quantities.set(line.sku, (quantities.get(line.sku) ?? 0) + line.quantity);
  }
  if (quantities.size === 0) throw new OrderNotProcessable(`Order ${order.name} has no lines to send to a supplier.`);
  const supplierId = await defaultSupplierId(db);
  await db.execute(
    sql`update orders set status = 'processing', updated_at = now() where id = ${orderId} and status in ('open', 'failed')`,
  );
  return {
    orderId,
    supplierId,
    currency: order.currency,
    lines: [...quantities].map(([sku, quantity]) => ({ sku, quantity })),
  };
}

/** The client for one supplier: its own API URL when it has one, the configured one otherwise. */
export async function clientFor(db: Db, supplierId: string): Promise<SupplierClient> {
  const [supplier] = await queryRows<{ api_url: string | null }>(
    db,
    sql`select api_url from suppliers where id = ${supplierId}`,
  );
  if (!supplier) throw new OrderNotProcessable(`No supplier has the id ${supplierId}.`);
  const config = supplierConfig();
  if (!config) throw new ConfigError("No supplier is configured (SUPPLIER_API_URL).");
  if (!supplier.api_url) return createSupplierClient(config);
  // The development credentials are public: they may only ever be sent to a loopback simulator.
  if (config.simulated && !/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(supplier.api_url)) {
    throw new ConfigError(
      "A supplier's API URL needs SUPPLIER_APP_KEY and SUPPLIER_APP_SECRET (set SUPPLIER_API_URL and its credentials).",
    );
  }
  return createSupplierClient({ ...config, apiUrl: supplier.api_url });
}

type ShopifyAddress = Partial<
  Record<
    | "name"
    | "first_name"
    | "last_name"
    | "address1"
    | "address2"
    | "city"
    | "zip"
    | "province"
    | "country_code"
    | "phone",
    string | null
  >
>;

/** The shipping address in the supplier's shape; refused (naming the missing fields only) when incomplete. */
async function shippingAddressOf(db: Db, orderId: string, orderName: string): Promise<SupplierAddress> {
  const [row] = await queryRows<{
    shipping_address: string | null;
    customer_name: string | null;
    customer_phone: string | null;
  }>(db, sql`select shipping_address, customer_name, customer_phone from orders where id = ${orderId}`);
  const raw = decryptOptional(row?.shipping_address ?? null, CONTEXT.address);
  const a = (raw ? JSON.parse(raw) : {}) as ShopifyAddress;
  const fullName =
    a.name ||
    [a.first_name, a.last_name].filter(Boolean).join(" ") ||
    decryptOptional(row?.customer_name ?? null, CONTEXT.name) ||
    "";
  const phone = a.phone || decryptOptional(row?.customer_phone ?? null, CONTEXT.phone) || "";
  const address = {
    fullName,
    phone,
    address: a.address1 ?? "",
    city: a.city ?? "",
    country: a.country_code ?? "",
    zip: a.zip ?? "",
  };
  const missing = Object.entries(address)
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length > 0)
    throw new OrderNotProcessable(
      `Order ${orderName} has no complete shipping address (missing: ${missing.join(", ")}).`,
      { missing },
    );
  return {
    ...address,
    ...(a.address2 ? { address2: a.address2 } : {}),
    ...(a.province ? { province: a.province } : {}),
  };
}

export interface Submission {
  shipmentId: string;
  supplierOrderId: string;
  /** False when the order had already been submitted (by an earlier attempt or run). */
  created: boolean;
}

/**
 * Submits a prepared order to its supplier and records the shipment; the order becomes
 * `submitted`. A cancelled order is refused. Supplier errors keep their class: unavailable is
 * retried (same out_order_id), rejected fails the step.
 */
export async function submitToSupplier(db: Db, plan: SupplierOrderPlan, signal?: AbortSignal): Promise<Submission> {
  const [existing] = await queryRows<{ id: string; supplier_order_id: string }>(
    db,
    sql`select id, supplier_order_id from shipments where order_id = ${plan.orderId} and supplier_id = ${plan.supplierId}`,
  );
  if (existing) return { shipmentId: existing.id, supplierOrderId: existing.supplier_order_id, created: false };
  const order = await getOrder(db, plan.orderId);
  if (order.status === "cancelled")
    throw new OrderNotProcessable(`Order ${order.name} was cancelled before it reached the supplier.`);
  const address = await shippingAddressOf(db, plan.orderId, order.name);
  const client = await clientFor(db, plan.supplierId);
  const created = await client.createOrder({
    outOrderId: plan.orderId,
    lines: plan.lines.map((l) => ({ productId: l.sku, quantity: l.quantity })),
    address,
    signal,
  });
  const recorded = await db.transaction(async (tx) => {
    const result = await recordShipment(tx, {
      orderId: plan.orderId,
      supplierId: plan.supplierId,
      supplierOrderId: created.supplierOrderId,
    });
    await tx.execute(
      sql`update orders set status = 'submitted', updated_at = now() where id = ${plan.orderId} and status in ('open', 'processing', 'failed')`,
    );
    return result;
  });
  return {
    shipmentId: recorded.shipment.id,
    supplierOrderId: recorded.shipment.supplierOrderId,
    created: recorded.created,
  };
}

export interface TrackingSync {
  checked: number;
  /** Order ids that got their tracking number in this sync. */
  shipped: string[];
  /** Shipments whose supplier could not be asked (retried at the next sync). */
  errors: number;
}

/**
 * Asks the suppliers about submitted shipments, least recently checked first (each check
 * touches `updated_at`, so a long list is walked over successive syncs). A shipment that got a
 * tracking number is marked shipped and its order `shipped`, and `order.shipped` is published
 * once per order (the event's dedupe key is the order's; a Shopify fulfillment may have told us first).
 */
export async function syncTracking(db: Db, params: { limit: number; signal?: AbortSignal }): Promise<TrackingSync> {
  const due = await queryRows<{ id: string; order_id: string; supplier_id: string; supplier_order_id: string }>(
    db,
    sql`select id, order_id, supplier_id, supplier_order_id from shipments
        where status = 'submitted' order by updated_at, id limit ${params.limit}`,
  );
  const result: TrackingSync = { checked: 0, shipped: [], errors: 0 };
  const clients = new Map<string, SupplierClient>();
  for (const shipment of due) {
    if (params.signal?.aborted) break;
    let tracking;
    try {
      const client = clients.get(shipment.supplier_id) ?? (await clientFor(db, shipment.supplier_id));
      clients.set(shipment.supplier_id, client);
      tracking = await client.queryTracking({ supplierOrderId: shipment.supplier_order_id, signal: params.signal });
    } catch (error) {
      if (params.signal?.aborted) throw error;
      result.errors += 1;
      await db.execute(sql`update shipments set updated_at = now() where id = ${shipment.id}`);
      continue;
    }
    result.checked += 1;
    if (tracking.status !== "shipped") {
      await db.execute(sql`update shipments set updated_at = now() where id = ${shipment.id}`);
      continue;
    }
    const shipped = await db.transaction(async (tx) => {
      const rows = await queryRows<{ id: string }>(
        tx,
        sql`update shipments set status = 'shipped', tracking_number = ${tracking.trackingNumber}, carrier = ${tracking.carrier},
              shipped_at = now(), updated_at = now()
            where id = ${shipment.id} and status = 'submitted' returning id`,
      );
      if (!rows[0]) return false;
      await markOrderShipped(
        tx,
        { id: shipment.order_id },
        { trackingNumber: tracking.trackingNumber, carrier: tracking.carrier, source: "supplier" },
      );
      return true;
    });
    if (shipped) result.shipped.push(shipment.order_id);
  }
  return result;
}

export type NotificationKind = "confirmed" | "shipped";

export interface CustomerNotice {
  /** Null when the customer has no email we may use (none given, or redacted). */
  messageId: string | null;
  status: string;
}

function noticeText(
  kind: NotificationKind,
  order: Order,
  tracking: { trackingNumber?: string | null; carrier?: string | null },
) {
  const greeting = order.customer?.name ? `Hello ${order.customer.name},` : "Hello,";
  if (kind === "confirmed") {
    return {
      subject: `Your order ${order.name} is confirmed`,
      text: `${greeting}\n\nThank you for your order ${order.name} (${order.totalPrice} ${order.currency}). It is on its way to our supplier; you will receive another email with the tracking number as soon as it ships.`,
    };
  }
  const how = tracking.trackingNumber
    ? `\n\nTracking number: ${tracking.trackingNumber}${tracking.carrier ? ` (${tracking.carrier})` : ""}`
    : "";
  return {
    subject: `Your order ${order.name} has shipped`,
    text: `${greeting}\n\nYour order ${order.name} has shipped.${how}\n\nThank you for shopping with us.`,
  };
}

/**
 * Emails the customer about their order, at most once per order and kind (the outbox dedupe key
 * is `order-notify:<order>:<kind>`, whichever run or attempt asks). The message is stored
 * `personal` (recipient and body encrypted; the subject names the order only).
 */
export async function notifyCustomer(
  db: Db,
  params: {
    orderId: string;
    kind: NotificationKind;
    trackingNumber?: string | null;
    carrier?: string | null;
    signal?: AbortSignal;
  },
): Promise<CustomerNotice> {
  const order = await getOrder(db, params.orderId);
  const email = order.customer?.email;
  if (!email) return { messageId: null, status: "skipped" };
  const { subject, text } = noticeText(params.kind, order, params);
  const message = await enqueueMessage(db, {
    channel: "email",
    recipient: email,
    subject,
    body: text,
    personal: true,
    dedupeKey: `order-notify:${order.id}:${params.kind}`,
  });
  if (message.status !== "pending") return { messageId: message.id, status: message.status };
  const delivered = await deliverMessage(db, message.id, { signal: params.signal });
  return { messageId: message.id, status: delivered.status ?? message.status };
}

/** The workflow's error handler: the order is `failed` (a cancelled or shipped order keeps its status). */
export async function markOrderFailed(db: Db, orderId: string): Promise<{ status: string }> {
  const [row] = await queryRows<{ status: string }>(
    db,
    sql`update orders set status = case when status in ('cancelled', 'shipped', 'submitted') then status else 'failed' end, updated_at = now()
        where id = ${orderId} returning status`,
  );
  if (!row) throw new OrderNotProcessable(`No order has the id ${orderId}.`);
  return row;
}

export type { Shipment };
