/**
 * A Shopify order payload (orders/create, orders/updated, orders/paid, orders/cancelled) read
 * into what we keep. Lenient on purpose: Shopify adds fields all the time, and only the ones
 * below matter; a payload without an id, a currency, a total or line items is refused (the
 * delivery fails, visibly, instead of storing a half order).
 */
import { z } from "zod";

const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,30}$/)]).transform(String);
const money = z
  .union([z.string(), z.number()])
  .transform(String)
  .pipe(z.string().regex(/^-?\d{1,12}(\.\d{1,2})?$/, "must be an amount like 87.20"));
const text = z
  .string()
  .max(1000)
  .nullish()
  .transform((v) => (v === undefined || v === null || v.trim() === "" ? null : v.trim()));

const address = z
  .object({
    name: text,
    first_name: text,
    last_name: text,
    company: text,
    address1: text,
    address2: text,
    city: text,
    zip: text,
    province: text,
    country: text,
    country_code: text,
    phone: text,
  })
  .nullish();

/** A `*_set` amount: the shop's currency is the one every other amount of the order is in. */
const moneySet = z.object({ shop_money: z.object({ amount: money }) }).nullish();

export const shopifyOrderSchema = z.object({
  id,
  name: z.string().min(1).max(100),
  currency: z.string().regex(/^[A-Z]{3}$/),
  total_price: money,
  // Shopify's arithmetic of total_price (validate_order checks it, src/orders/fulfilment.ts).
  total_discounts: money.nullish(),
  total_tax: money.nullish(),
  taxes_included: z.boolean().nullish(),
  total_shipping_price_set: moneySet,
  shipping_lines: z
    .array(z.object({ price: money }))
    .max(100)
    .nullish(),
  total_tip_received: money.nullish(),
  original_total_duties_set: moneySet,
  original_total_additional_fees_set: moneySet,
  financial_status: text,
  cancelled_at: z.string().nullish(),
  created_at: z.iso.datetime({ offset: true }).nullish(),
  updated_at: z.iso.datetime({ offset: true }).nullish(),
  email: text,
  phone: text,
  customer: z.object({ id: id.nullish(), first_name: text, last_name: text, email: text, phone: text }).nullish(),
  shipping_address: address,
  line_items: z
    .array(
      z.object({
        sku: text,
        title: z.string().max(500),
        quantity: z.number().int().min(0),
        price: money,
      }),
    )
    .max(1000),
});

export type ShopifyOrder = z.infer<typeof shopifyOrderSchema>;

/**
 * How Shopify arrives at an order's total: lines − discounts + shipping + taxes (when not
 * included in the prices) + extras (tips, duties, additional fees). Amounts like "10.00".
 */
export interface OrderTotals {
  discounts: string;
  shipping: string;
  tax: string;
  taxesIncluded: boolean;
  extras: string;
}

export interface OrderFields {
  shopifyId: string;
  name: string;
  currency: string;
  totalPrice: string;
  /** Null when the payload does not say (no total_discounts): validation then falls back to the lines' sum. */
  totals: OrderTotals | null;
  financialStatus: string | null;
  cancelled: boolean;
  lineItems: { sku: string | null; title: string; quantity: number; price: string }[];
  shopifyCustomerId: string | null;
  customer: { name: string | null; email: string | null; phone: string | null };
  /** The shipping address as one JSON text (encrypted as a whole), null without one. */
  shippingAddress: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}

const cents = (amount: string | null | undefined) => (amount ? Math.round(Number(amount) * 100) : 0);
const amount = (c: number) => (c / 100).toFixed(2);

/**
 * The parts of the total. Shipping is total_shipping_price_set (before shipping discounts, which
 * Shopify counts in total_discounts), else the sum of the shipping lines' prices.
 */
function orderTotals(order: ShopifyOrder): OrderTotals | null {
  if (order.total_discounts === undefined || order.total_discounts === null) return null;
  const shipping = order.total_shipping_price_set
    ? cents(order.total_shipping_price_set.shop_money.amount)
    : (order.shipping_lines ?? []).reduce((sum, line) => sum + cents(line.price), 0);
  const extras =
    cents(order.total_tip_received) +
    cents(order.original_total_duties_set?.shop_money.amount) +
    cents(order.original_total_additional_fees_set?.shop_money.amount);
  return {
    discounts: amount(cents(order.total_discounts)),
    shipping: amount(shipping),
    tax: amount(cents(order.total_tax)),
    // Shopify always says; absent, the safe reading is "included" (nothing added to the lines).
    taxesIncluded: order.taxes_included ?? true,
    extras: amount(extras),
  };
}

export function orderFields(order: ShopifyOrder): OrderFields {
  const c = order.customer;
  const fullName = [c?.first_name, c?.last_name].filter(Boolean).join(" ") || order.shipping_address?.name || null;
  const a = order.shipping_address;
  return {
    shopifyId: order.id,
    name: order.name,
    currency: order.currency,
    totalPrice: order.total_price,
    totals: orderTotals(order),
    financialStatus: order.financial_status,
    cancelled: Boolean(order.cancelled_at),
    lineItems: order.line_items.map((li) => ({ sku: li.sku, title: li.title, quantity: li.quantity, price: li.price })),
    shopifyCustomerId: c?.id ?? null,
    customer: {
      name: fullName,
      email: order.email ?? c?.email ?? null,
      phone: order.phone ?? c?.phone ?? a?.phone ?? null,
    },
    shippingAddress: a ? JSON.stringify(a) : null,
    createdAt: order.created_at ?? null,
    updatedAt: order.updated_at ?? null,
  };
}
