/**
 * What retention prunes, table by table: which rows a table's retention governs, which of them
 * are prunable (past the cutoff and held by nothing), the index that serves the predicate, and
 * how long each is kept by default and why.
 *
 * Every delete is one short statement of one batch: the batch's rows are chosen oldest first by
 * an index range scan and locked with `FOR UPDATE SKIP LOCKED` (a row another transaction holds
 * is left for a later pass, never waited for; the lock re-checks the predicate on the row's
 * newest version, so a run retried meanwhile is no longer finished and is not deleted), then
 * deleted by primary key (`id = any(array(…))`: the chosen ids are an InitPlan and the delete is
 * a primary-key index scan, so no plan turns the batch into a scan of the table). No statement
 * holds its locks beyond its own few milliseconds; the pass (prune.ts) bounds the batches.
 *
 * Plans checked with EXPLAIN on Postgres 15 (bench/retention.ts: 100,000 old runs with 900,000
 * steps and attempts, and a history of every other table): each batch is chosen by a Limit over
 * LockRows over an Index Scan of the index named below (a `not exists` probe is a nested-loop
 * anti join on its own index), and deleted by the primary key from the InitPlan's array (an
 * Index Scan, or a Bitmap Index Scan, of the key; a Tid Scan for ctid). Never a sort, never a
 * sequential scan (an EMPTY table gets one: nothing to read). The indexes:
 * - runs: `runs_finished_idx` (finished_at, partial on the final statuses); the held-by-project
 *   probe uses `projects_run_idx`; the steps and attempts go by `steps_run_name_idx` (run_id
 *   first) and `step_attempts_step_idx` (step_id first).
 * - events: `events_created_idx`; the deliveries probe `event_deliveries_event_idx`.
 * - event_deliveries: `event_deliveries_done_idx` (created_at, partial: status <> 'pending').
 * - outbox: `outbox_created_idx` (created_at, id), filtering out pending messages (few: a
 *   message is pending only between its retries).
 * - agent_calls: `agent_calls_at_idx`; audit_log: `audit_log_at_idx`; metric_points:
 *   `metric_points_recorded_idx`; metric_minutes: `metric_minutes_bucket_idx` (deleted by ctid:
 *   its key is four columns); shopify_deliveries: `shopify_deliveries_received_idx`;
 *   data_exports: `data_exports_created_idx`; seen_signatures: `seen_signatures_expires_idx` (by mac);
 *   agent_cache_entries: `agent_cache_entries_expires_idx` (by key).
 */
import { sql, type SQL } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { toDate, toNumber } from "@/db/rows";
import type { Env } from "@/env";
import { EXPORT_RETENTION_DAYS } from "@/orders/data-requests";
import { DEDUPE_RETENTION_DAYS } from "@/orders/deliveries";

const DAY_MS = 86_400_000;

export interface BatchResult {
  /** Rows of the table itself. */
  deleted: number;
  /** Rows of the tables hanging off it (runs: steps and step attempts). */
  detail?: Record<string, number>;
}

export interface RetentionTarget {
  /** The table (and the key of its progress row). */
  table: string;
  /** What is pruned, for people. */
  label: string;
  /** The environment variable that sets its retention in days, or null for a fixed window. */
  setting: string | null;
  /** Its retention in days (null: kept forever), read from the configuration. */
  retentionDays(env: Env): number | null;
  /** Why this default. */
  why: string;
  /** Rows per delete statement (runs: per run, whose steps and attempts go with it). */
  batch: number;
  /**
   * The cutoff actually applied: rows older than `cutoff` may be held longer by something the
   * table depends on (events: the oldest unfinished run); answers it, with why when lowered.
   */
  effectiveCutoff?(db: Db, cutoff: Date): Promise<{ cutoff: Date; note: string | null }>;
  /** The rows the retention governs (finished runs, sent messages…), over the table aliased `t`. */
  governed: SQL;
  /** The column that dates a row (`t.` prefixed). */
  time: SQL;
  /** What still holds a governed row past the cutoff (a `not exists` over `t`), if anything can. */
  held?: SQL;
  /** The column the delete goes by: its key (`ctid` for a table with a composite key). */
  key: "id" | "ctid" | "mac" | "key";
  /** A delete of its own (runs, with their steps and attempts); the default deletes the chosen keys. */
  deleteChosen?(db: Db, chosen: SQL): Promise<BatchResult>;
}

const FINISHED = sql`t.status in ('succeeded', 'failed', 'cancelled')`;

/** The batch to prune: the oldest prunable rows, locked, skipping any another transaction holds. */
export function chooseBatch(target: RetentionTarget, cutoff: Date, limit: number): SQL {
  return sql`select t.${sql.raw(target.key)} from ${sql.raw(target.table)} t
    where ${target.governed} and ${target.time} < ${cutoff.toISOString()}::timestamptz ${target.held ? sql`and ${target.held}` : sql``}
    order by ${target.time} limit ${limit} for update of t skip locked`;
}

export async function deleteBatch(db: Db, target: RetentionTarget, cutoff: Date, limit: number): Promise<BatchResult> {
  const chosen = chooseBatch(target, cutoff, limit);
  if (target.deleteChosen) return target.deleteChosen(db, chosen);
  const [row] = await queryRows<{ n: unknown }>(
    db,
    sql`with gone as (delete from ${sql.raw(target.table)} where ${sql.raw(target.key)} = any(array(${chosen})) returning 1)
        select count(*)::int as n from gone`,
  );
  return { deleted: toNumber(row?.n ?? 0) };
}

/** The oldest governed row, and the oldest prunable one (null: none left past the cutoff). */
export async function oldestRows(
  db: Db,
  target: RetentionTarget,
  cutoff: Date | null,
): Promise<{ oldestAt: Date | null; oldestPrunableAt: Date | null }> {
  const [row] = await queryRows<{ oldest: unknown; prunable: unknown }>(
    db,
    sql`select (select ${target.time} from ${sql.raw(target.table)} t where ${target.governed} order by ${target.time} limit 1) as oldest,
      ${
        cutoff
          ? sql`(select ${target.time} from ${sql.raw(target.table)} t
               where ${target.governed} and ${target.time} < ${cutoff.toISOString()}::timestamptz ${target.held ? sql`and ${target.held}` : sql``}
               order by ${target.time} limit 1)`
          : sql`null::timestamptz`
      } as prunable`,
  );
  return { oldestAt: toDate(row?.oldest), oldestPrunableAt: toDate(row?.prunable) };
}

const days = (value: number) => (value > 0 ? value : null);

export const RETENTION_TARGETS: readonly RetentionTarget[] = [
  {
    table: "runs",
    label: "finished runs (succeeded, failed, cancelled), with their steps and step attempts",
    setting: "RETENTION_RUNS_DAYS",
    retentionDays: (env) => days(env.RETENTION_RUNS_DAYS),
    why:
      "30 days: operators inspect and retry failed runs within days, and the metric rollups keep 30 days of step " +
      "durations and error rates, so a run's detail lives as long as the charts about it. A run's idempotency key " +
      "is honoured as long as its run is kept. Unfinished runs are never pruned, nor a run its project's page reads.",
    // A run carries its steps and their attempts (tens of rows): 200 runs keep a statement short.
    batch: 200,
    governed: FINISHED,
    time: sql`t.finished_at`,
    // The client's progress page (/projects/<id>) reads its project's run: kept with the project.
    held: sql`not exists (select 1 from projects p where p.run_id = t.id)`,
    key: "id",
    // Attempts, steps and runs in one statement (set-wise, not by the foreign keys' per-row
    // cascades, which then find nothing left): the three counts come back together.
    deleteChosen: async (db, chosen) => {
      const [row] = await queryRows<{ runs: unknown; steps: unknown; attempts: unknown }>(
        db,
        sql`with doomed as (${chosen}),
          gone_attempts as (delete from step_attempts a using steps s, doomed d where a.step_id = s.id and s.run_id = d.id returning 1),
          gone_steps as (delete from steps s using doomed d where s.run_id = d.id returning 1),
          gone_runs as (delete from runs r using doomed d where r.id = d.id returning 1)
          select (select count(*) from gone_runs)::int as runs, (select count(*) from gone_steps)::int as steps,
            (select count(*) from gone_attempts)::int as attempts`,
      );
      return {
        deleted: toNumber(row?.runs ?? 0),
        detail: { steps: toNumber(row?.steps ?? 0), stepAttempts: toNumber(row?.attempts ?? 0) },
      };
    },
  },
  {
    table: "events",
    label: "events",
    setting: "RETENTION_EVENTS_DAYS",
    retentionDays: (env) => days(env.RETENTION_EVENTS_DAYS),
    why:
      "30 days: events are replayed by id range or topic within that, and a dedupe key is honoured while its " +
      "event is kept. An event is kept while any delivery of it is (pending ones always), and while an unfinished " +
      "run started before it: a wait_for_event step looks back to its run's start.",
    batch: 2_000,
    effectiveCutoff: async (db, cutoff) => {
      // Each min() is one probe of runs_status_created_idx (status, created_at).
      const [row] = await queryRows<{ oldest: unknown }>(
        db,
        sql`select least((select min(created_at) from runs where status = 'queued'),
          (select min(created_at) from runs where status = 'running'),
          (select min(created_at) from runs where status = 'waiting')) as oldest`,
      );
      const oldest = toDate(row?.oldest);
      if (!oldest || oldest >= cutoff) return { cutoff, note: null };
      return {
        cutoff: oldest,
        note: `events since ${oldest.toISOString()} are held by the oldest unfinished run (its wait_for_event steps may look back to its start)`,
      };
    },
    governed: sql`true`,
    time: sql`t.created_at`,
    held: sql`not exists (select 1 from event_deliveries d where d.event_id = t.id)`,
    key: "id",
  },
  {
    table: "event_deliveries",
    label: "outgoing webhook deliveries, delivered or dead",
    setting: "RETENTION_EVENT_DELIVERIES_DAYS",
    retentionDays: (env) => days(env.RETENTION_EVENT_DELIVERIES_DAYS),
    why:
      "30 days, as long as their events: a dead delivery waits for an operator to re-drive it, and a delivered " +
      "one is the proof of delivery a subscriber may ask about. Pending deliveries are never pruned.",
    batch: 2_000,
    governed: sql`t.status <> 'pending'`,
    time: sql`t.created_at`,
    key: "id",
  },
  {
    table: "outbox",
    label: "outbox messages sent, failed for good, or kept (no channel)",
    setting: "RETENTION_OUTBOX_DAYS",
    retentionDays: (env) => days(env.RETENTION_OUTBOX_DAYS),
    why:
      "30 days, no less than the runs: a message's dedupe key is its step's idempotency key, so it must outlive " +
      "any retry of its run. Pending messages (still to be delivered) are never pruned.",
    batch: 2_000,
    governed: sql`t.status <> 'pending'`,
    time: sql`t.created_at`,
    key: "id",
  },
  {
    table: "agent_calls",
    label: "agent call records",
    setting: "RETENTION_AGENT_CALLS_DAYS",
    retentionDays: (env) => days(env.RETENTION_AGENT_CALLS_DAYS),
    why:
      "1 day: the breaker reads the last minute and the health view the last hours; the history of every call " +
      "lives on in the agent.call.duration metric and its rollups (30 days).",
    batch: 5_000,
    governed: sql`true`,
    time: sql`t.at`,
    key: "id",
  },
  {
    table: "audit_log",
    label: "audit entries",
    setting: "RETENTION_AUDIT_DAYS",
    retentionDays: (env) => days(env.RETENTION_AUDIT_DAYS),
    why: "7 years (2,557 days), the planning notes' figure: the usual horizon of accounting and compliance records.",
    batch: 5_000,
    governed: sql`true`,
    time: sql`t.at`,
    key: "id",
  },
  {
    table: "metric_points",
    label: "raw metric points (once rolled up)",
    setting: "METRICS_RAW_RETENTION_HOURS",
    retentionDays: (env) => env.METRICS_RAW_RETENTION_HOURS / 24,
    why: "24 hours: the per-minute rollups keep their percentiles after that; never a point not yet rolled up.",
    batch: 10_000,
    effectiveCutoff: async (db, cutoff) => {
      const [row] = await queryRows<{ watermark: unknown }>(
        db,
        sql`select watermark from metric_rollup_state where id = 1 and watermark > '-infinity'`,
      );
      const watermark = toDate(row?.watermark);
      if (watermark && watermark >= cutoff) return { cutoff, note: null };
      // No rollup yet ('-infinity' reads as null), or one that fell behind: nothing past it goes.
      return {
        cutoff: watermark ?? new Date(0),
        note: `points not yet rolled up are kept (rollup watermark ${watermark?.toISOString() ?? "none yet"})`,
      };
    },
    governed: sql`true`,
    time: sql`t.recorded_at`,
    key: "id",
  },
  {
    table: "metric_minutes",
    label: "per-minute metric rollups",
    setting: "METRICS_ROLLUP_RETENTION_DAYS",
    retentionDays: (env) => env.METRICS_ROLLUP_RETENTION_DAYS,
    why: "30 days: a month of charts and percentiles at one-minute resolution.",
    batch: 10_000,
    governed: sql`true`,
    time: sql`t.bucket`,
    key: "ctid",
  },
  {
    table: "shopify_deliveries",
    label: "Shopify dedupe records of processed deliveries",
    setting: null,
    retentionDays: () => DEDUPE_RETENTION_DAYS,
    why: "7 days (fixed): longer than Shopify retries a webhook (48 hours); failed and pending ones are kept.",
    batch: 2_000,
    governed: sql`t.status = 'processed'`,
    time: sql`t.received_at`,
    key: "id",
  },
  {
    table: "data_exports",
    label: "customer data exports",
    setting: null,
    retentionDays: () => EXPORT_RETENTION_DAYS,
    why: "30 days (fixed): the merchant has that long to send the export on, as the admin's notice says.",
    batch: 500,
    governed: sql`true`,
    time: sql`t.created_at`,
    key: "id",
  },
  {
    table: "seen_signatures",
    label: "replay-guard entries (expired signatures)",
    setting: null,
    // Dated by their expiry: prunable as soon as it passes.
    retentionDays: () => 0,
    why: "Until the signature expires (its 5-minute window): after that the signature itself is refused.",
    batch: 5_000,
    governed: sql`true`,
    time: sql`t.expires_at`,
    key: "mac",
  },
  {
    table: "agent_cache_entries",
    label: "agent result-cache entries (expired)",
    setting: null,
    // Dated by their expiry (the action's TTL): prunable as soon as it passes.
    retentionDays: () => 0,
    why: "Until the entry expires (the action's declared TTL): an expired entry is never served.",
    batch: 1_000,
    governed: sql`true`,
    time: sql`t.expires_at`,
    key: "key",
  },
];

/** The cutoff a target's retention sets at `now` (null: kept forever). */
export function cutoffOf(target: RetentionTarget, env: Env, now: Date): Date | null {
  const retention = target.retentionDays(env);
  if (retention === null) return null;
  return new Date(now.getTime() - retention * DAY_MS);
}
