/**
 * Periodic chores that ride on the ticks (every driver runs ticks: the cron route, the local
 * worker loop, `npm run worker`), each at most once per interval per process and database:
 * - every 5 s: deliver due outbox messages (emails and Slack posts that failed before), and
 *   process Shopify deliveries stored but not processed (the answering process died after its 200),
 *   and deliver due outgoing webhooks (event subscriptions);
 * - every minute: prune agent call records older than a day and expired replay-guard entries;
 *   write the buffered metric points, roll them up into per-minute buckets, apply the metrics
 *   retention (src/observability/metrics/rollup.ts); drop week-old Shopify dedupe records and
 *   month-old customer data exports.
 * A chore that fails is logged and tried again at its next turn; it never fails the tick.
 * `housekeepingDue` tells a route tick when the next delivery falls due, so it carries
 * outgoing-webhook and Shopify retries like its other timers.
 */
import { pruneSeenSignatures } from "@/auth/replay";
import { pruneCalls } from "@/agents/gateway/calls";
import type { Db } from "@/db/client";
import { deliverPendingMessages } from "@/notifications/outbox";
import { deliverDueEvents, nextDeliveryDueInMs } from "@/events/subscriptions";
import { log } from "@/observability/log";
import { pruneDataExports } from "@/orders/data-requests";
import { nextDeliveryRetryInMs, processPendingDeliveries, pruneDeliveries } from "@/orders/deliveries";
import { flushMetrics } from "@/observability/metrics/record";
import { pruneMetrics, rollupMetrics } from "@/observability/metrics/rollup";

const OUTBOX_INTERVAL_MS = 5_000;
const OUTBOX_BATCH = 10;
const DELIVERY_BATCH = 50;
const PRUNE_INTERVAL_MS = 60_000;
const KEEP_AGENT_CALLS_MS = 24 * 3_600_000;

const last = new WeakMap<Db, { outbox: number; prune: number }>();

/**
 * When a route tick should run the deliveries chore for a delivery falling due, or null when none
 * is pending: `ms` is no earlier than the chore's 5 s rhythm in this process; `dueNow` says a
 * delivery is already due (the tick waits for such one only once: one the chore could not send,
 * locked by another sender, must not keep it waiting). Outbox messages are not counted: without
 * a configured channel they stay pending by design.
 */
export async function housekeepingDue(db: Db): Promise<{ ms: number; dueNow: boolean } | null> {
  const [events, shopify] = await Promise.all([nextDeliveryDueInMs(db), nextDeliveryRetryInMs(db)]);
  const due = [events, shopify].filter((ms): ms is number => ms !== null);
  if (due.length === 0) return null;
  const next = Math.min(...due);
  const rhythm = Math.max(0, Math.ceil((last.get(db)?.outbox ?? -Infinity) + OUTBOX_INTERVAL_MS - performance.now()));
  return { ms: Math.max(next, rhythm), dueNow: next === 0 };
}

export async function runHousekeeping(db: Db, options: { force?: boolean } = {}): Promise<void> {
  const now = performance.now();
  const seen = last.get(db) ?? { outbox: -Infinity, prune: -Infinity };
  last.set(db, seen);
  if (options.force || now - seen.outbox >= OUTBOX_INTERVAL_MS) {
    seen.outbox = now;
    await chore("outbox delivery", () => deliverPendingMessages(db, { limit: OUTBOX_BATCH }));
    await chore("shopify deliveries", () => processPendingDeliveries(db, { limit: DELIVERY_BATCH }));
    await chore("event deliveries", () => deliverDueEvents(db, { limit: DELIVERY_BATCH }));
  }
  if (options.force || now - seen.prune >= PRUNE_INTERVAL_MS) {
    seen.prune = now;
    await chore("prune agent calls", () => pruneCalls(db, KEEP_AGENT_CALLS_MS));
    await chore("prune replay guard", () => pruneSeenSignatures(db));
    await chore("prune shopify dedupe records", () => pruneDeliveries(db));
    await chore("prune data exports", () => pruneDataExports(db));
    await chore("metrics rollup", async () => {
      await flushMetrics(db);
      await rollupMetrics(db);
      await pruneMetrics(db);
    });
  }
}

async function chore(name: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    log.warn(`housekeeping: ${name} failed`, { error });
  }
}
