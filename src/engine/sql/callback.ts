/**
 * An agent's answer to a step that answered 202 (callbacks.ts), in the answer's transaction:
 * lock the step's row first (every decision below reads it), check the same answer was not
 * recorded already (its attempt row under this fence), then store progress, or resume the
 * parked attempt so the fenced completion can record it.
 *
 * Resuming is not a claim: the fence stays the one the agent was given (the task id), and the
 * lease is a fixed minute, only long enough for the completion that follows in the same
 * transaction (the step's own timeout already ran while it waited).
 * Locks: the step's row (`steps_pkey`), then whatever the completion takes, in its order.
 * Index: `step_attempts_step_idx (step_id, attempt)` for the duplicate check.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";

export interface TaskStepRow {
  id: unknown;
  run_id: string;
  name: string;
  item_index: unknown;
  kind: string;
  status: string;
  attempts: unknown;
  max_attempts: unknown;
  timeout_ms: unknown;
  fence: unknown;
  item: unknown;
  input: unknown;
  started_at: unknown;
  wait_since: unknown;
}

export async function lockTaskStep(tx: Db, stepId: number): Promise<TaskStepRow | undefined> {
  const [row] = await queryRows<TaskStepRow>(
    tx,
    sql`select id, run_id, name, item_index, kind, status, attempts, max_attempts, timeout_ms, fence, item, input, started_at, wait_since
        from steps where id = ${stepId} for update`,
  );
  return row;
}

/** Attempts of the step under `fence` already recorded with `outcome` (a repeated answer). */
export async function countRecorded(tx: Db, stepId: number, fence: number, outcome: string): Promise<number> {
  const [seen] = await queryRows<{ n: unknown }>(
    tx,
    sql`select count(*)::int as n from step_attempts where step_id = ${stepId} and fence = ${fence} and outcome = ${outcome}`,
  );
  return Number(seen?.n ?? 0);
}

export async function setProgress(tx: Db, stepId: number, progress: unknown): Promise<void> {
  await tx.execute(sql`update steps set progress = ${JSON.stringify(progress ?? null)}::jsonb where id = ${stepId}`);
}

/** The parked attempt runs again (it counts now that it answered), under a one-minute lease. */
export async function resumeWaiting(tx: Db, stepId: number): Promise<void> {
  await tx.execute(sql`update steps set status = 'running', attempts = attempts + 1, lease_expires_at = now() + interval '1 minute',
    wait_since = null where id = ${stepId}`);
}

export async function stepStatus(tx: Db, stepId: number): Promise<string | undefined> {
  const [row] = await queryRows<{ status: string }>(tx, sql`select status from steps where id = ${stepId}`);
  return row?.status;
}
