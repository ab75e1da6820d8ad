/**
 * The housekeeping chores the ticks run (src/engine/housekeeping.ts runs them, each interval's
 * chores together and in this order):
 * - every 5 s: deliver due outbox messages (emails and Slack posts that failed before), process
 *   Shopify deliveries stored but not processed (the answering process died after its 200), and
 *   deliver due outgoing webhooks (event subscriptions); the last two say when their next
 *   delivery falls due, so a route tick carries their retries like its other timers (outbox
 *   messages are not counted: without a configured channel they stay pending by design);
 * - every minute: prune agent call records older than a day and expired replay-guard entries;
 *   drop week-old Shopify dedupe records and month-old customer data exports; write the buffered
 *   metric points, roll them up into per-minute buckets, apply the metrics retention
 *   (src/observability/metrics/rollup.ts).
 */
import { pruneCalls } from "@/agents/gateway/calls";
import { pruneSeenSignatures } from "@/auth/replay";
import type { Chore } from "@/engine/wiring";
import { deliverDueEvents, nextDeliveryDueInMs } from "@/events/subscriptions";
import { deliverPendingMessages } from "@/notifications/outbox";
import { flushMetrics } from "@/observability/metrics/record";
import { pruneMetrics, rollupMetrics } from "@/observability/metrics/rollup";
import { pruneDataExports } from "@/orders/data-requests";
import { nextDeliveryRetryInMs, processPendingDeliveries, pruneDeliveries } from "@/orders/deliveries";

const DELIVERY_INTERVAL_MS = 5_000;
const OUTBOX_BATCH = 10;
const DELIVERY_BATCH = 50;
const PRUNE_INTERVAL_MS = 60_000;
const KEEP_AGENT_CALLS_MS = 24 * 3_600_000;

export const CHORES: readonly Chore[] = [
  {
    name: "outbox delivery",
    everyMs: DELIVERY_INTERVAL_MS,
    run: (db) => deliverPendingMessages(db, { limit: OUTBOX_BATCH }),
  },
  {
    name: "shopify deliveries",
    everyMs: DELIVERY_INTERVAL_MS,
    run: (db) => processPendingDeliveries(db, { limit: DELIVERY_BATCH }),
    nextDueInMs: nextDeliveryRetryInMs,
  },
  {
    name: "event deliveries",
    everyMs: DELIVERY_INTERVAL_MS,
    run: (db) => deliverDueEvents(db, { limit: DELIVERY_BATCH }),
    nextDueInMs: nextDeliveryDueInMs,
  },
  { name: "prune agent calls", everyMs: PRUNE_INTERVAL_MS, run: (db) => pruneCalls(db, KEEP_AGENT_CALLS_MS) },
  { name: "prune replay guard", everyMs: PRUNE_INTERVAL_MS, run: pruneSeenSignatures },
  { name: "prune shopify dedupe records", everyMs: PRUNE_INTERVAL_MS, run: pruneDeliveries },
  { name: "prune data exports", everyMs: PRUNE_INTERVAL_MS, run: pruneDataExports },
  {
    name: "metrics rollup",
    everyMs: PRUNE_INTERVAL_MS,
    run: async (db) => {
      await flushMetrics(db);
      await rollupMetrics(db);
      await pruneMetrics(db);
    },
  },
];
