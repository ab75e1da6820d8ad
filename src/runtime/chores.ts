/**
 * The housekeeping chores the ticks run (src/engine/housekeeping.ts runs them, each interval's
 * chores together and in this order):
 * - every 5 s: deliver due outbox messages (emails and Slack posts that failed before), process
 *   Shopify deliveries stored but not processed (the answering process died after its 200), and
 *   deliver due outgoing webhooks (event subscriptions); the last two say when their next
 *   delivery falls due, so a route tick carries their retries like its other timers (outbox
 *   messages are not counted: without a configured channel they stay pending by design); one
 *   AIMD step of the throttled agents' concurrency limits (src/agents/gateway/throttle.ts);
 * - every minute: recompute the adaptive timeouts from the call records
 *   (src/agents/gateway/adaptive-timeout.ts); write the buffered metric points and roll them up
 *   into per-minute buckets (src/observability/metrics/rollup.ts);
 * - every 2 s while a table has a backlog, else every minute: one retention pass
 *   (src/operations/retention: finished runs with their steps and attempts, events, event
 *   deliveries, outbox messages, agent call records, audit entries, metric points and rollups,
 *   Shopify dedupe records, data exports, expired replay-guard entries, expired agent
 *   result-cache entries; in batches, within RETENTION_PASS_BUDGET_MS).
 */
import { recomputeAdaptiveTimeouts } from "@/agents/gateway/adaptive-timeout";
import { adjustThrottles } from "@/agents/gateway/throttle";
import type { Chore } from "@/engine/wiring";
import { deliverDueEvents, nextDeliveryDueInMs } from "@/events/subscriptions";
import { deliverPendingMessages } from "@/notifications/outbox";
import { flushMetrics } from "@/observability/metrics/record";
import { rollupMetrics } from "@/observability/metrics/rollup";
import { retentionChore } from "@/operations/retention/prune";
import { nextDeliveryRetryInMs, processPendingDeliveries } from "@/orders/deliveries";

const DELIVERY_INTERVAL_MS = 5_000;
const RETENTION_INTERVAL_MS = 2_000;
const OUTBOX_BATCH = 10;
const DELIVERY_BATCH = 50;
const PRUNE_INTERVAL_MS = 60_000;

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
  { name: "adaptive timeouts", everyMs: PRUNE_INTERVAL_MS, run: (db) => recomputeAdaptiveTimeouts(db) },
  { name: "agent throttles", everyMs: DELIVERY_INTERVAL_MS, run: (db) => adjustThrottles(db) },
  {
    name: "metrics rollup",
    everyMs: PRUNE_INTERVAL_MS,
    run: async (db) => {
      await flushMetrics(db);
      await rollupMetrics(db);
    },
  },
  // Every 2 s while a table has a backlog, else a pass a minute (prune.ts). Raw metric points
  // are kept a day, long after their minute is rolled up.
  { name: "retention", everyMs: RETENTION_INTERVAL_MS, run: retentionChore },
];
