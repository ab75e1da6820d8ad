import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

export const DELIVERY_STATUSES = ["pending", "processed", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * Shopify webhook deliveries, stored before the 200 and processed after it (or by the next tick
 * when the process died in between). `payload` is the raw body ENCRYPTED (src/privacy: it holds
 * customer data) and is cleared once processed; the row itself stays as the dedupe record of
 * `(shop_domain, webhook_id)` for a week (Shopify retries for 4 h and may deliver a day late),
 * then the housekeeping deletes it.
 */
export const shopifyDeliveries = pgTable(
  "shopify_deliveries",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    shopDomain: text("shop_domain").notNull(),
    webhookId: text("webhook_id").notNull(),
    topic: text("topic").notNull(),
    eventId: text("event_id"),
    triggeredAt: timestamp("triggered_at", { withTimezone: true }),
    apiVersion: text("api_version"),
    payload: text("payload"),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp("processed_at", { withTimezone: true }),
    /**
     * SHA-256 of the topic and the raw body (src/integrations/shopify.ts deliveryDigest): the
     * second dedupe key. The webhook id and the shop are unsigned headers, so a signed body
     * replayed under a new webhook id or another shop is recognised by its digest. Null on rows
     * stored before it existed (their payloads are gone: nothing to compute it from).
     */
    bodyDigest: text("body_digest"),
  },
  (t) => [
    uniqueIndex("shopify_deliveries_webhook_idx").on(t.shopDomain, t.webhookId),
    uniqueIndex("shopify_deliveries_digest_idx").on(t.bodyDigest),
    // Deliveries left to process (the tick's sweep).
    index("shopify_deliveries_pending_idx").on(t.receivedAt).where(sql`${t.status} = 'pending'`),
    index("shopify_deliveries_received_idx").on(t.receivedAt),
    // The operators' list by status, newest first (GET /api/webhooks/shopify/deliveries?status=failed).
    index("shopify_deliveries_status_idx").on(t.status, t.id),
  ],
);

export const ORDER_STATUSES = ["open", "processing", "submitted", "shipped", "cancelled", "failed"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * Orders from Shopify. Personal data (name, email, phone, shipping address) is stored encrypted
 * (`enc:v<n>:…` tokens, src/privacy/crypto.ts); `customer_email_hash` is a keyed hash for
 * lookups by email. Amounts and line items stay in clear (accounting; no personal data).
 * `source_updated_at` is Shopify's `updated_at` of the data held: an older delivery never
 * overwrites it.
 */
export const orders = pgTable(
  "orders",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    shopDomain: text("shop_domain").notNull(),
    shopifyId: text("shopify_id").notNull(),
    name: text("name").notNull(),
    currency: text("currency").notNull(),
    totalPrice: numeric("total_price", { precision: 14, scale: 2 }).notNull(),
    /**
     * Shopify's arithmetic of the total (validate_order checks it): discounts, shipping, taxes
     * (added to the total only when not included in the prices) and extras (tips, duties,
     * additional fees). Null when unknown: manual orders, and orders stored before these columns.
     */
    totalDiscounts: numeric("total_discounts", { precision: 14, scale: 2 }),
    totalShipping: numeric("total_shipping", { precision: 14, scale: 2 }),
    totalTax: numeric("total_tax", { precision: 14, scale: 2 }),
    taxesIncluded: boolean("taxes_included"),
    totalExtras: numeric("total_extras", { precision: 14, scale: 2 }),
    financialStatus: text("financial_status"),
    status: text("status", { enum: ORDER_STATUSES }).notNull().default("open"),
    lineItems: jsonb("line_items").notNull(),
    shopifyCustomerId: text("shopify_customer_id"),
    customerName: text("customer_name"),
    customerEmail: text("customer_email"),
    customerPhone: text("customer_phone"),
    shippingAddress: text("shipping_address"),
    customerEmailHash: text("customer_email_hash"),
    sourceUpdatedAt: timestamp("source_updated_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("orders_shopify_idx").on(t.shopDomain, t.shopifyId),
    // Lists, newest first (ascending, scanned backwards: see runs_created_idx).
    index("orders_created_idx").on(t.createdAt, t.id),
    index("orders_status_created_idx").on(t.status, t.createdAt, t.id),
    index("orders_email_hash_idx").on(t.customerEmailHash),
    index("orders_customer_idx").on(t.shopDomain, t.shopifyCustomerId),
  ],
);

export const REDACTION_SCOPES = ["customer", "shop"] as const;
export type RedactionScope = (typeof REDACTION_SCOPES)[number];

/**
 * Redactions done (customers/redact, shop/redact), written in the same transaction as the
 * anonymisation itself, so a late or out-of-order order delivery cannot write the personal data
 * back (upsertShopifyOrder stores none for an order one of them covers). `shopify_order_ids`:
 * the ids Shopify listed plus those of every order the redaction anonymised (also the ones found
 * by email only). A `shop` row (shop/redact) covers every order of the shop created before it;
 * it has no customer and no ids. Kept for good: Shopify may send an orders/updated for an old
 * order at any time. No email or its search hash is kept here.
 */
export const privacyRedactions = pgTable(
  "privacy_redactions",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    shopDomain: text("shop_domain").notNull(),
    scope: text("scope", { enum: REDACTION_SCOPES }).notNull(),
    shopifyCustomerId: text("shopify_customer_id"),
    shopifyOrderIds: text("shopify_order_ids").array().notNull().default(sql`'{}'::text[]`),
    redactedAt: timestamp("redacted_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("privacy_redactions_customer_idx").on(t.shopDomain, t.shopifyCustomerId),
    // `shopify_order_ids @> array[<id>]` in the upsert's check.
    index("privacy_redactions_order_ids_idx").using("gin", t.shopifyOrderIds),
    index("privacy_redactions_shop_idx").on(t.shopDomain, t.redactedAt).where(sql`${t.scope} = 'shop'`),
  ],
);

/**
 * The shop's products, one row per variant (what an order line's SKU names). `levels` holds the
 * stock per Shopify location (`{"<location id>": available}`) and `available` their sum. Below
 * `stock_threshold` the product gets ONE `product.stock_alert` (`stock_alerted` remembers it)
 * until its stock is back at or above the threshold.
 */
export const products = pgTable(
  "products",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    shopDomain: text("shop_domain").notNull(),
    shopifyProductId: text("shopify_product_id").notNull(),
    shopifyVariantId: text("shopify_variant_id").notNull(),
    inventoryItemId: text("inventory_item_id"),
    sku: text("sku"),
    title: text("title").notNull(),
    price: numeric("price", { precision: 14, scale: 2 }),
    levels: jsonb("levels").notNull().default({}),
    available: integer("available").notNull().default(0),
    stockThreshold: integer("stock_threshold").notNull().default(5),
    stockAlerted: boolean("stock_alerted").notNull().default(false),
    sourceUpdatedAt: timestamp("source_updated_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("products_variant_idx").on(t.shopDomain, t.shopifyVariantId),
    index("products_inventory_item_idx").on(t.shopDomain, t.inventoryItemId),
    index("products_sku_idx").on(t.shopDomain, t.sku),
  ],
);

export const SUPPLIER_KINDS = ["aliexpress"] as const;

/**
 * Suppliers orders are sent to. `api_url` null means the configured SUPPLIER_API_URL (or, in
 * local mode, the simulated supplier). Credentials are never stored here: they come from the
 * environment (SUPPLIER_APP_KEY / SUPPLIER_APP_SECRET).
 */
export const suppliers = pgTable("suppliers", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  kind: text("kind", { enum: SUPPLIER_KINDS }).notNull().default("aliexpress"),
  apiUrl: text("api_url"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const SHIPMENT_STATUSES = ["submitted", "shipped", "delivered", "failed"] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

/**
 * What was ordered from a supplier for an order, and its tracking. One per order and supplier:
 * the unique index is the local half of "a retried submission cannot order twice" (the
 * supplier's half is our order id sent as its dedupe key).
 */
export const shipments = pgTable(
  "shipments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orderId: uuid("order_id")
      .notNull()
      .references(() => orders.id, { onDelete: "cascade" }),
    supplierId: uuid("supplier_id")
      .notNull()
      .references(() => suppliers.id),
    supplierOrderId: text("supplier_order_id").notNull(),
    status: text("status", { enum: SHIPMENT_STATUSES }).notNull().default("submitted"),
    trackingNumber: text("tracking_number"),
    carrier: text("carrier"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    shippedAt: timestamp("shipped_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("shipments_order_supplier_idx").on(t.orderId, t.supplierId),
    index("shipments_created_idx").on(t.createdAt, t.id),
    index("shipments_status_created_idx").on(t.status, t.createdAt, t.id),
  ],
);

/**
 * Answers to `customers/data_request`: what we hold about one customer, as one ENCRYPTED JSON
 * document, for an admin to download (GET /api/privacy/exports/<id>) and send to the merchant.
 * Deleted after 30 days.
 */
export const dataExports = pgTable(
  "data_exports",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    shopDomain: text("shop_domain").notNull(),
    shopifyCustomerId: text("shopify_customer_id"),
    requestId: text("request_id"),
    payload: text("payload").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    downloadedAt: timestamp("downloaded_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("data_exports_request_idx").on(t.shopDomain, t.requestId),
    index("data_exports_created_idx").on(t.createdAt),
  ],
);
