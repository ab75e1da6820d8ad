import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { events } from "./engine";

/**
 * Outgoing webhooks: events whose topic matches `topic_pattern` (`order.*`, `*`, or a topic) are
 * POSTed to `url`, signed like our internal calls with the subscription's secret (stored
 * ENCRYPTED: it is a credential). `ordering_key` (a JMESPath template over the event, e.g.
 * `{{ data.orderId }}`) makes one key's events arrive in publication order.
 */
export const eventSubscriptions = pgTable("event_subscriptions", {
  id: uuid("id").primaryKey().defaultRandom(),
  topicPattern: text("topic_pattern").notNull(),
  url: text("url").notNull(),
  secret: text("secret").notNull(),
  orderingKey: text("ordering_key"),
  active: boolean("active").notNull().default(true),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const EVENT_DELIVERY_STATUSES = ["pending", "delivered", "dead"] as const;
export type EventDeliveryStatus = (typeof EVENT_DELIVERY_STATUSES)[number];

/** One row per event and subscriber: delivered at least once, retried with backoff, `dead` after MAX attempts. */
export const eventDeliveries = pgTable(
  "event_deliveries",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    subscriptionId: uuid("subscription_id")
      .notNull()
      .references(() => eventSubscriptions.id, { onDelete: "cascade" }),
    eventId: bigint("event_id", { mode: "number" })
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    orderingValue: text("ordering_value"),
    status: text("status", { enum: EVENT_DELIVERY_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("event_deliveries_subscription_event_idx").on(t.subscriptionId, t.eventId),
    // The delivery sweep: due pending deliveries.
    index("event_deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    // Per-key ordering: is an earlier delivery of the same key still pending?
    index("event_deliveries_ordering_idx")
      .on(t.subscriptionId, t.orderingValue, t.eventId)
      .where(sql`${t.status} = 'pending' and ${t.orderingValue} is not null`),
    index("event_deliveries_status_idx").on(t.status, t.id),
    // An event's deliveries: retention keeps an event while any is left, and the cascade of its delete.
    index("event_deliveries_event_idx").on(t.eventId),
    // Retention: finished deliveries by age (src/operations/retention/targets.ts).
    index("event_deliveries_done_idx").on(t.createdAt).where(sql`${t.status} <> 'pending'`),
  ],
);
