/**
 * One retention pass: the housekeeping chore every tick driver runs (src/runtime/chores.ts,
 * `retentionChore`: every 2 s while a table has a backlog, else once a minute), on serverless
 * ticks as on resident workers.
 *
 * Bounded: a pass spends at most RETENTION_PASS_BUDGET_MS (2 s by default) deleting, checked
 * between batches; each batch is one short statement of at most the table's batch size
 * (targets.ts), so the longest a pass can run is its budget plus one batch (a few hundred
 * milliseconds at most). Whatever a pass leaves, the next one continues: tables are visited
 * least recently pruned first, so a table with a backlog cannot starve the others.
 *
 * The budget is the only bound, not a number of batches: the soak (bench/soak.ts, 2026-12-03)
 * showed a cap of 50 batches per pass pruning 30–60 runs/s against an engine finishing
 * 1,100–2,300 runs/s, so the tables grew without end; a pass every 10 s still pruned only about
 * 1,400 runs/s against 3,400. The chore is called every 2 s (src/runtime/chores.ts) and a table
 * with a backlog is pruned at every call (a caught-up one rests a minute), so while behind, one
 * process spends about half its time deleting (6,000–7,000 runs/s during a pass here), and
 * nothing beyond a pass a minute once caught up.
 *
 * One process per table: a pass claims a table's progress row (`claimed_until`, a conditional
 * UPDATE, held no longer than the pass could last) and releases it when done; another process
 * meanwhile skips that table. A table found caught up with nothing to delete is pruned again at
 * most once a minute, whatever the number of instances ticking. A table's failure is recorded on its row and
 * logged; the pass goes on with the others.
 *
 * After its batches, a table's row records the pass: rows deleted (and the rows deleted with
 * them), the oldest row left, the oldest prunable row left (null: caught up), why rows past the
 * cutoff are held, when it ran and how long it took. GET /api/system/retention and the
 * dashboard read it; the `retention_behind` alert measures the tables live (status.ts).
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { toDate } from "@/db/rows";
import { readEnv } from "@/env";
import { log } from "@/observability/log";
import { cutoffOf, deleteBatch, oldestRows, RETENTION_TARGETS, type RetentionTarget } from "./targets";

/** A caught-up table is pruned again no sooner than this, by any process. */
const CAUGHT_UP_PAUSE_MS = 55_000;
/** A claim outlives the pass's budget by this much (a batch in flight, recording the row). */
const CLAIM_SLACK_MS = 60_000;

export interface RetentionOptions {
  /** The time the cutoffs are measured from (default: the database's `now()`). */
  now?: Date;
  /** Wall time to spend deleting (default RETENTION_PASS_BUDGET_MS). */
  budgetMs?: number;
  /** Most batches per table (default: as many as the budget allows). */
  maxBatches?: number;
  /** Rows per batch, overriding each table's own (tests, the bench). */
  batch?: number;
  /** Only these tables. */
  tables?: readonly string[];
  /** Prune a caught-up table even if it was pruned less than a minute ago. */
  force?: boolean;
}

export interface TablePass {
  table: string;
  cutoff: Date | null;
  deleted: number;
  detail: Record<string, number> | null;
  batches: number;
  caughtUp: boolean;
  oldestAt: Date | null;
  oldestPrunableAt: Date | null;
  note: string | null;
  durationMs: number;
  error?: string;
}

const nextPassAt = new WeakMap<Db, number>();
/** A pass given less than this (a tick nearly spent) waits for the next call. */
const MIN_PASS_MS = 250;

/**
 * The housekeeping chore (every 2 s): one pass, then, when every table it pruned was caught up
 * and none had anything to delete, none for a minute in this process, so an idle platform reads
 * nothing more often than it did with a pass a minute; while a table has a backlog, or rows
 * keep falling past its cutoff (a busy platform: its last pass deleted some), a pass at every
 * call. Waiting a minute after a caught-up pass let a soak at 4,000 runs/s build 200,000 runs
 * of backlog before the next pass (bench/soak.ts, 2026-12-03).
 */
export async function retentionChore(db: Db, context: { budgetMs: number } = { budgetMs: Infinity }): Promise<void> {
  if (performance.now() < (nextPassAt.get(db) ?? 0)) return;
  // Inside a tick, at most half of what is left of it, so its steps still run; too little left:
  // the next call tries again.
  const budgetMs = Math.min(readEnv().RETENTION_PASS_BUDGET_MS, context.budgetMs / 2);
  if (budgetMs < MIN_PASS_MS) return;
  const passes = await runRetention(db, { budgetMs });
  const busy = passes.some((p) => !p.error && (!p.caughtUp || p.deleted > 0));
  nextPassAt.set(db, performance.now() + (busy ? 0 : CAUGHT_UP_PAUSE_MS));
}

/** Runs one pass; answers what it did per table it claimed (tables skipped are not listed). */
export async function runRetention(db: Db, options: RetentionOptions = {}): Promise<TablePass[]> {
  const env = readEnv();
  const started = performance.now();
  const deadline = started + (options.budgetMs ?? env.RETENTION_PASS_BUDGET_MS);
  const targets = RETENTION_TARGETS.filter((t) => !options.tables || options.tables.includes(t.table));
  const now = options.now ?? (await databaseNow(db));
  await db.execute(
    sql`insert into retention_progress (table_name)
        select unnest(${sql.param(targets.map((t) => t.table))}::text[]) on conflict (table_name) do nothing`,
  );
  const order = await queryRows<{ table_name: string }>(
    db,
    sql`select table_name from retention_progress order by last_run_at asc nulls first, table_name`,
  );
  const byName = new Map(targets.map((t) => [t.table, t]));
  const passes: TablePass[] = [];
  for (const { table_name } of order) {
    const target = byName.get(table_name);
    if (!target) continue;
    if (performance.now() >= deadline) break;
    const claimMs = Math.max(0, deadline - performance.now()) + CLAIM_SLACK_MS;
    if (!(await claim(db, table_name, claimMs, options.force ?? false))) continue;
    passes.push(await pruneTable(db, target, now, deadline, options));
  }
  return passes;
}

async function databaseNow(db: Db): Promise<Date> {
  const [row] = await queryRows<{ now: unknown }>(db, sql`select now() as now`);
  return toDate(row?.now) ?? new Date();
}

async function claim(db: Db, table: string, claimMs: number, force: boolean): Promise<boolean> {
  const rows = await queryRows<{ table_name: string }>(
    db,
    sql`update retention_progress set claimed_until = now() + ${claimMs} * interval '1 millisecond'
        where table_name = ${table} and (claimed_until is null or claimed_until < now())
          and (${force} or not caught_up or last_run_at is null
               or last_deleted > 0 or last_run_at < now() - ${CAUGHT_UP_PAUSE_MS} * interval '1 millisecond')
        returning table_name`,
  );
  return rows.length > 0;
}

async function pruneTable(
  db: Db,
  target: RetentionTarget,
  now: Date,
  deadline: number,
  options: RetentionOptions,
): Promise<TablePass> {
  const started = performance.now();
  const pass: TablePass = {
    table: target.table,
    cutoff: cutoffOf(target, readEnv(), now),
    deleted: 0,
    detail: null,
    batches: 0,
    caughtUp: false,
    oldestAt: null,
    oldestPrunableAt: null,
    note: null,
    durationMs: 0,
  };
  try {
    if (pass.cutoff && target.effectiveCutoff) {
      const effective = await target.effectiveCutoff(db, pass.cutoff);
      pass.cutoff = effective.cutoff;
      pass.note = effective.note;
    }
    const limit = options.batch ?? target.batch;
    const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
    while (pass.cutoff && pass.batches < maxBatches && performance.now() < deadline) {
      const result = await deleteBatch(db, target, pass.cutoff, limit);
      pass.batches++;
      pass.deleted += result.deleted;
      for (const [key, n] of Object.entries(result.detail ?? {}))
        (pass.detail ??= {})[key] = (pass.detail[key] ?? 0) + n;
      // Fewer than a batch: nothing prunable left but rows other transactions held (SKIP LOCKED).
      if (result.deleted < limit) break;
    }
    const oldest = await oldestRows(db, target, pass.cutoff);
    pass.oldestAt = oldest.oldestAt;
    pass.oldestPrunableAt = oldest.oldestPrunableAt;
    pass.caughtUp = oldest.oldestPrunableAt === null;
  } catch (error) {
    pass.error = error instanceof Error ? error.message : String(error);
    log.warn("retention: pruning failed", { table: target.table, error });
  }
  pass.durationMs = Math.round(performance.now() - started);
  await record(db, target, pass);
  return pass;
}

async function record(db: Db, target: RetentionTarget, pass: TablePass): Promise<void> {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  await db.execute(
    sql`update retention_progress set
          retention_days = ${target.retentionDays(readEnv())}, cutoff = ${iso(pass.cutoff)}::timestamptz,
          last_run_at = now(), last_duration_ms = ${pass.durationMs}, last_deleted = ${pass.deleted},
          last_detail = ${pass.detail ? JSON.stringify(pass.detail) : null}::jsonb,
          total_deleted = total_deleted + ${pass.deleted},
          caught_up = ${pass.caughtUp}, oldest_at = ${iso(pass.oldestAt)}::timestamptz,
          oldest_prunable_at = ${iso(pass.oldestPrunableAt)}::timestamptz, note = ${pass.note},
          last_error = ${pass.error ?? null}, claimed_until = null
        where table_name = ${target.table}`,
  );
}
