/**
 * The history row of an attempt (`step_attempts`), written once here in the three shapes the
 * engine needs: one row from values, one row from the fenced write's CTE (so the attempt is
 * recorded only when the write happened, in the same statement), and many rows from a
 * recordset of successes joined to their fenced update.
 *
 * Append-only: an insert takes no lock another transaction waits for (the step's row is locked
 * by the write that goes with it). Read back through `step_attempts_step_idx (step_id, attempt)`
 * (runs.ts history, callbacks.ts duplicate check).
 */
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "@/db/client";

/** An attempt as claimed: the step row, its fencing token, its number and when it was claimed. */
export interface FencedAttempt {
  id: number;
  fence: number;
  attempt: number;
  claimedAt: Date;
}

const INSERT = sql`insert into step_attempts (step_id, attempt, fence, outcome, error, started_at, finished_at, duration_ms)`;

/**
 * The error column: JSON of `error`, or SQL NULL when `undefined`. The set-based success paths
 * (settle-succeeded.ts, fenced-write.ts `fencedSuccesses`) have always written SQL NULL for a success, the
 * per-step fenced write of complete.ts JSON `null`; both read back as null, and both are kept.
 */
function errorValue(error: unknown): SQL {
  return error === undefined ? sql`null` : sql`${JSON.stringify(error ?? null)}::jsonb`;
}

/** Attempt, fence, outcome, error and the times of an attempt that ended at `finishedAt`. */
function attemptValues(step: FencedAttempt, outcome: string, error: unknown, finishedAt: Date): SQL {
  return sql`${step.attempt}, ${step.fence}, ${outcome}, ${errorValue(error)}, ${step.claimedAt.toISOString()}::timestamptz,
    ${finishedAt.toISOString()}::timestamptz, ${Math.max(0, finishedAt.getTime() - step.claimedAt.getTime())}`;
}

/** One attempt row, unconditionally (a discarded attempt's record). */
export async function insertAttempt(
  tx: Db,
  step: FencedAttempt,
  outcome: string,
  error: unknown,
  finishedAt: Date,
): Promise<void> {
  await tx.execute(sql`${INSERT} values (${step.id}, ${attemptValues(step, outcome, error, finishedAt)})`);
}

/**
 * One attempt row for an attempt the sweep found with an expired lease: it never answered, so
 * its start is unknown to the sweep and its times are the sweep's own (`now()`, duration 0).
 */
export async function insertExpiredAttempt(
  tx: Db,
  step: { id: number; attempt: number; fence: number },
  error: unknown,
): Promise<void> {
  await tx.execute(sql`${INSERT} values (${step.id}, ${step.attempt}, ${step.fence}, 'lease_expired', ${errorValue(error)},
    now(), now(), 0)`);
}

/** The attempt row of a fenced write, for a CTE after it: inserted only if the CTE `cte` returned the step's id. */
export function insertAttemptFrom(
  cte: string,
  step: FencedAttempt,
  outcome: string,
  error: unknown,
  finishedAt: Date,
): SQL {
  const from = sql.raw(cte);
  return sql`${INSERT} select ${from}.id, ${attemptValues(step, outcome, error, finishedAt)} from ${from}`;
}

/**
 * Succeeded attempt rows from the recordset CTE `v` (fenced-write.ts `fencedSuccesses`), for the
 * rows the fenced update CTE `u` changed.
 */
export const INSERT_SUCCEEDED_FROM_RECORDSET = sql`${INSERT}
  select v.id, v.attempt, v.fence, 'succeeded', null, v.started_at, v.finished_at, v.duration_ms from v join u on u.id = v.id`;
