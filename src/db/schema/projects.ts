import { doublePrecision, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const PAYMENT_STATUSES = ["test_mode", "awaiting_payment", "paid"] as const;

/**
 * A client's site order: the brief from /start, how it is paid, and the run that builds it.
 * The client reaches its progress page with an unguessable token; only its hash is stored.
 */
export const projects = pgTable(
  "projects",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tokenHash: text("token_hash").notNull(),
    /**
     * Legacy: the order form in clear, as projects stored it before their personal data was
     * encrypted. New projects leave it null; `sealLegacySiteOrders` (src/projects/site-clients.ts,
     * run after the migrations) moves old rows into `brief_sealed` and clears it.
     */
    brief: jsonb("brief"),
    /** The order form's fields, as validated (src/projects/schema.ts), encrypted (`projects.brief`); null once erased. */
    briefSealed: text("brief_sealed"),
    /** Search hash of the contact email (src/privacy/search-hash.ts): erasure by email; null once erased. */
    contactEmailHash: text("contact_email_hash"),
    /** When an operator erased the client's personal data (src/projects/site-clients.ts). */
    erasedAt: timestamp("erased_at", { withTimezone: true }),
    paymentStatus: text("payment_status", { enum: PAYMENT_STATUSES }).notNull(),
    /** Stripe Checkout session: its id is also the run's idempotency key. */
    checkoutSessionId: text("checkout_session_id").unique(),
    amountTotal: integer("amount_total"),
    currency: text("currency"),
    runId: uuid("run_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    paidAt: timestamp("paid_at", { withTimezone: true }),
  },
  (t) => [
    index("projects_created_idx").on(t.createdAt),
    index("projects_contact_email_hash_idx").on(t.contactEmailHash),
    // Retention keeps a project's run (its client's page reads it): src/operations/retention/targets.ts.
    index("projects_run_idx").on(t.runId),
  ],
);

/** Token buckets for public endpoints (e.g. project creation per client IP), shared by every instance. */
export const requestRateBuckets = pgTable("request_rate_buckets", {
  key: text("key").primaryKey(),
  tokens: doublePrecision("tokens").notNull(),
  refilledAt: timestamp("refilled_at", { withTimezone: true }).notNull().defaultNow(),
});
