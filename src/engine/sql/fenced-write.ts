/**
 * The fenced write: every completion's write to its step, conditional on the attempt's fencing
 * token and on the row still being `running`. A late answer (the lease expired and the step was
 * claimed again, or the run was cancelled) matches no row and changes nothing; the caller then
 * records the attempt as discarded. The lease is dropped in the same write.
 *
 * Locks: the step's own row, by primary key (`steps_pkey`); the many-row form locks the rows of
 * its recordset in the order the update visits them, which is harmless: each row is one attempt's
 * own step, running, so no other completion holds it.
 */
import { sql, type SQL } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { INSERT_SUCCEEDED_FROM_RECORDSET, insertAttemptFrom, type FencedAttempt } from "./attempts";

const json = (v: unknown) => sql`${JSON.stringify(v ?? null)}::jsonb`;

/** The update of one step while `step`'s attempt still owns it; returns the step's id when it does. */
export function fencedUpdate(step: { id: number; fence: number }, set: SQL): SQL {
  return sql`update steps set ${set}, lease_expires_at = null where id = ${step.id} and fence = ${step.fence} and status = 'running' returning id`;
}

/**
 * The columns each outcome of an attempt writes under the fence. Parking, deferring, skipping
 * and expanding are not attempts: the attempt counter goes back.
 */
export const outcomeSet = {
  /** Output, rendered input, no error, finished. */
  succeeded: (output: unknown, input: unknown): SQL =>
    sql`status = 'succeeded', output = ${json(output)}, input = ${json(input)}, error = null, finished_at = now()`,
  /** A wait that found its event already published: the event is its output (its input stays). */
  tookEvent: (event: unknown): SQL =>
    sql`status = 'succeeded', output = ${json(event)}, error = null, finished_at = now()`,
  /** Back to the queue after the retry delay. */
  retrying: (error: unknown, input: unknown, delayMs: number): SQL =>
    sql`status = 'queued', error = ${json(error)}, input = ${json(input)},
      ready_at = now() + ${delayMs} * interval '1 millisecond'`,
  failed: (error: unknown, input: unknown): SQL =>
    sql`status = 'failed', error = ${json(error)}, input = ${json(input)}, finished_at = now()`,
  skipped: (): SQL => sql`status = 'skipped', attempts = attempts - 1, finished_at = now()`,
  /**
   * Waiting until `readyAt` (its timeout) for an event of `waitTopic`, counting events from its
   * run's start (`runId`), or for a callback from now (no topic). `input` undefined keeps the row's.
   */
  parked: (p: { readyAt: Date; waitTopic?: string; runId: string; input?: unknown }): SQL => {
    const since = p.waitTopic === undefined ? sql`now()` : sql`(select created_at from runs where id = ${p.runId})`;
    return sql`status = 'waiting', attempts = attempts - 1, ready_at = ${p.readyAt.toISOString()}::timestamptz,
      wait_topic = ${p.waitTopic ?? null}, wait_since = ${since}, input = ${p.input === undefined ? sql`input` : json(p.input)}`;
  },
  /** Back to the queue until `readyAt` (the gateway held the call back). */
  deferred: (readyAt: Date, reason: string): SQL =>
    sql`status = 'queued', attempts = attempts - 1,
      ready_at = ${readyAt.toISOString()}::timestamptz, error = ${json({ name: "Deferred", message: reason })}`,
  /** A for_each over nothing: succeeded at once with `[]`. */
  expandedEmpty: (): SQL =>
    sql`status = 'succeeded', attempts = attempts - 1, output = '[]'::jsonb, finished_at = now()`,
  /** A for_each parent waits for its `count` items (items.ts). */
  expanded: (count: number): SQL =>
    sql`status = 'waiting', attempts = attempts - 1, ready_at = null, items_remaining = ${count}`,
};

/**
 * Writes `set` to the step while this attempt owns it and, with `attempt`, records the attempt
 * in the same statement (one round trip instead of two). False when the attempt was superseded.
 */
export async function fencedWrite(
  tx: Db,
  step: FencedAttempt,
  set: SQL,
  attempt?: { outcome: string; error: unknown; finishedAt: Date },
): Promise<boolean> {
  const update = fencedUpdate(step, set);
  const rows = attempt
    ? await queryRows<{ id: unknown }>(
        tx,
        sql`with u as (${update})
            ${insertAttemptFrom("u", step, attempt.outcome, attempt.error, attempt.finishedAt)} returning step_id as id`,
      )
    : await queryRows<{ id: unknown }>(tx, update);
  return rows.length > 0;
}

export interface Success {
  step: FencedAttempt;
  output: unknown;
  input: unknown;
  finishedAt: Date;
}

/** Succeeded attempts as rows for `jsonb_to_recordset`: the fenced step write and its attempt row. */
function successRows(entries: Success[]) {
  return entries.map((e) => ({
    id: e.step.id,
    fence: e.step.fence,
    attempt: e.step.attempt,
    output: e.output ?? null,
    input: e.input ?? null,
    started_at: e.step.claimedAt.toISOString(),
    finished_at: e.finishedAt.toISOString(),
    duration_ms: Math.max(0, e.finishedAt.getTime() - e.step.claimedAt.getTime()),
  }));
}

/**
 * Many successes at once, as the CTEs `v` (the recordset), `u` (the fenced update: `s.id,
 * s.run_id` of the steps still owned) and `a` (their attempt rows), for a statement to follow
 * with its own CTEs and select (`recordSuccesses` below, sinks of many runs in settle-sinks.ts).
 */
export function fencedSuccesses(entries: Success[]): SQL {
  return sql`v as (
      select * from jsonb_to_recordset(${JSON.stringify(successRows(entries))}::jsonb) as v(id bigint, fence bigint, attempt int,
        output jsonb, input jsonb, started_at timestamptz, finished_at timestamptz, duration_ms int)
    ), u as (
      update steps s set status = 'succeeded', output = v.output, input = v.input, error = null, finished_at = now(), lease_expires_at = null
      from v where s.id = v.id and s.fence = v.fence and s.status = 'running' returning s.id, s.run_id
    ), a as (${INSERT_SUCCEEDED_FROM_RECORDSET})`;
}

/** Records many successes (items of one for_each): the ids of the steps their attempt still owned. */
export async function recordSuccesses(tx: Db, entries: Success[]): Promise<unknown[]> {
  const rows = await queryRows<{ id: unknown }>(tx, sql`with ${fencedSuccesses(entries)} select id from u`);
  return rows.map((r) => r.id);
}
