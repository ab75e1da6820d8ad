/**
 * The dependency settlement of a top-level step that became final (progress.ts `propagate`):
 * its dependents' counters move, the dependents the trigger rules decided are queued or
 * skipped, the handlers of a failure are inserted, and the run's counter of unfinished steps
 * moves by what all that finished and added.
 *
 * Counters instead of a run lock: each dependent row is updated (and so row-locked) by the
 * settling transaction, so two dependencies finishing at once serialise on the dependent's row
 * and exactly one of them sees `deps_remaining` reach its final value. Lock order: the run's
 * row first (the caller: lock-runs.ts, or settle-succeeded.ts's `r`), then the dependents'.
 * Index: `steps_run_name_idx (run_id, name, item_index)` for every step statement, `runs_pkey`.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";

export interface DependentRow {
  name: string;
  deps_remaining: unknown;
  deps_succeeded: unknown;
  deps_failed: unknown;
}

/** Counts one finished dependency (`ok`/`bad`: 1 if it succeeded/failed) in its pending dependents. */
export function countDependency(
  tx: Db,
  runId: string,
  dependents: string[],
  counts: { ok: number; bad: number },
): Promise<DependentRow[]> {
  return queryRows<DependentRow>(
    tx,
    sql`update steps set deps_remaining = deps_remaining - 1, deps_succeeded = deps_succeeded + ${counts.ok}, deps_failed = deps_failed + ${counts.bad}
        where run_id = ${runId} and item_index = -1 and status = 'pending' and name = any(${sql.param(dependents)}::text[])
        returning name, deps_remaining, deps_succeeded, deps_failed`,
  );
}

/** Queues top-level steps the trigger rules made ready. */
export async function queueSteps(tx: Db, runId: string, names: string[]): Promise<void> {
  await tx.execute(sql`update steps set status = 'queued', ready_at = now()
    where run_id = ${runId} and item_index = -1 and name = any(${sql.param(names)}::text[])`);
}

/** Skips top-level steps the trigger rules can no longer run. */
export async function skipSteps(tx: Db, runId: string, names: string[]): Promise<void> {
  await tx.execute(sql`update steps set status = 'skipped', finished_at = now()
    where run_id = ${runId} and item_index = -1 and name = any(${sql.param(names)}::text[])`);
}

/** The run's counter of unfinished steps: `done` finished, `added` handlers were inserted. */
export async function countRunSteps(
  tx: Db,
  runId: string,
  done: number,
  added: number,
): Promise<{ steps_remaining: unknown; status: string } | undefined> {
  const [row] = await queryRows<{ steps_remaining: unknown; status: string }>(
    tx,
    sql`update runs set steps_remaining = steps_remaining - ${done} + ${added}
        where id = ${runId} returning steps_remaining, status`,
  );
  return row;
}

/**
 * Inserts an error handler of a failed step, queued, with the run's priority; a handler runs at
 * most once per run (the unique `steps_run_name_idx`: a second insert does nothing). True when
 * inserted.
 */
export async function insertHandler(
  tx: Db,
  runId: string,
  handler: { name: string; kind: string; maxAttempts: number; timeoutMs: number },
  item: unknown,
): Promise<boolean> {
  const inserted = await queryRows<{ id: unknown }>(
    tx,
    sql`insert into steps (run_id, name, item_index, kind, status, priority, max_attempts, timeout_ms, ready_at, item)
        select ${runId}, ${handler.name}, -1, ${handler.kind}, 'queued', r.priority, ${handler.maxAttempts}, ${handler.timeoutMs}, now(),
               ${JSON.stringify(item)}::jsonb
        from runs r where r.id = ${runId}
        on conflict (run_id, name, item_index) do nothing returning id`,
  );
  return inserted.length > 0;
}
