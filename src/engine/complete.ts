/**
 * Records an attempt's result, exactly once: every write is conditional on the attempt's
 * fencing token and on the row still being `running`. If that condition fails (the lease
 * expired and someone else claimed the step, or the run was cancelled), the transaction is
 * rolled back (so an `emit` publishes nothing) and the attempt is recorded as `discarded`.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { findPublishedEvent, publishEventInTx } from "./events";
import type { RunContext, StepResult } from "./execute";
import { isChainLink, settleItems, settleSinks, settleStep, settleSucceededTopLevel, successRows } from "./progress";
import { startReadySteps, type ClaimedStep } from "./sql/claim";
import { retryOnConflict } from "./conflict";
import { describeStepError } from "./step-errors";

export { isConflict, retryOnConflict } from "./conflict";

class Superseded extends Error {}

export type CompletionOutcome =
  | "succeeded"
  | "failed"
  | "retrying"
  | "skipped"
  | "parked"
  | "deferred"
  | "expanded"
  | "discarded";

export interface RetryPolicy {
  backoff: "exponential" | "fixed";
  initialIntervalMs: number;
  maxIntervalMs: number;
}

/** Delay before attempt `attempt + 1`, with jitter (50–100 % of the computed delay). */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const base =
    policy.backoff === "fixed" ? policy.initialIntervalMs : policy.initialIntervalMs * 2 ** Math.min(attempt - 1, 30);
  const capped = Math.min(base, policy.maxIntervalMs);
  return Math.round(capped * (0.5 + random() * 0.5));
}

const j = (v: unknown) => sql`${JSON.stringify(v ?? null)}::jsonb`;

/**
 * The fenced write: updates the step only while this attempt still owns it, and records the
 * attempt in the same statement when `outcome` is given (one round trip instead of two).
 */
async function fenced(
  tx: Db,
  step: ClaimedStep,
  set: ReturnType<typeof sql>,
  outcome?: string,
  error?: unknown,
  finishedAt?: Date,
): Promise<void> {
  const update = sql`update steps set ${set}, lease_expires_at = null where id = ${step.id} and fence = ${step.fence} and status = 'running' returning id`;
  const rows = outcome
    ? await queryRows<{ id: unknown }>(
        tx,
        sql`with u as (${update})
            insert into step_attempts (step_id, attempt, fence, outcome, error, started_at, finished_at, duration_ms)
            select u.id, ${step.attempt}, ${step.fence}, ${outcome}, ${j(error)}, ${step.claimedAt.toISOString()}::timestamptz,
                   ${finishedAt!.toISOString()}::timestamptz, ${Math.max(0, finishedAt!.getTime() - step.claimedAt.getTime())}
            from u returning step_id as id`,
      )
    : await queryRows<{ id: unknown }>(tx, update);
  if (rows.length === 0) throw new Superseded();
}

async function recordAttempt(
  tx: Db,
  step: ClaimedStep,
  outcome: string,
  error: unknown,
  finishedAt: Date,
): Promise<void> {
  await tx.execute(sql`insert into step_attempts (step_id, attempt, fence, outcome, error, started_at, finished_at, duration_ms)
    values (${step.id}, ${step.attempt}, ${step.fence}, ${outcome}, ${j(error)}, ${step.claimedAt.toISOString()}::timestamptz,
            ${finishedAt.toISOString()}::timestamptz, ${Math.max(0, finishedAt.getTime() - step.claimedAt.getTime())})`);
}

/** A superseded attempt's result is dropped; its history keeps the attempt, as `discarded`. */
function recordDiscarded(db: Db, step: ClaimedStep, finishedAt: Date): Promise<void> {
  return recordAttempt(
    db,
    step,
    "discarded",
    { message: "The attempt lost its lease or the run was cancelled; its result was discarded." },
    finishedAt,
  );
}

export interface Continuation {
  /** Claim the successors this completion makes ready, if their timeout fits in this time. */
  maxTimeoutMs: number;
  leaseGraceMs: number;
}

export interface Completion {
  outcome: CompletionOutcome;
  /** Successors claimed in the same transaction, for the caller to run now. */
  next: ClaimedStep[];
}

export async function completeStep(
  db: Db,
  run: RunContext,
  step: ClaimedStep,
  result: StepResult,
  retry: RetryPolicy,
  continuation?: Continuation,
): Promise<Completion> {
  const finishedAt = new Date();
  const ref = { id: run.id, plan: run.plan, deferReady: true };
  const done = (outcome: CompletionOutcome, next: ClaimedStep[] = []): Completion => ({ outcome, next });
  const claimNext = (tx: Db, ready: string[]) => startReadySteps(tx, run.id, ready, continuation);
  if (result.type === "succeeded" && !result.emit && step.itemIndex < 0 && isChainLink(run.plan, step.name)) {
    // One statement, atomic by itself: no BEGIN/COMMIT round trips (see settleSucceededTopLevel).
    const settled = await settleSucceededTopLevel(
      db,
      ref,
      step,
      { output: result.output, input: result.input, finishedAt },
      continuation,
    );
    if (settled === null) {
      await recordDiscarded(db, step, finishedAt);
      return done("discarded");
    }
    run.outputs[step.name] = { output: result.output };
    return done("succeeded", settled.claimed);
  }
  try {
    return await retryOnConflict(() =>
      db.transaction(async (tx): Promise<Completion> => {
        switch (result.type) {
          case "succeeded": {
            let output = result.output;
            if (result.emit)
              output = await publishEventInTx(tx, {
                topic: result.emit.topic,
                data: result.emit.data,
                source: `run:${run.id}`,
              });
            if (step.itemIndex < 0) {
              const settled = await settleSucceededTopLevel(
                tx,
                ref,
                step,
                { output, input: result.input, finishedAt },
                continuation,
              );
              if (settled === null) throw new Superseded();
              run.outputs[step.name] = { output };
              return done("succeeded", [...settled.claimed, ...(await claimNext(tx, settled.ready))]);
            }
            await fenced(
              tx,
              step,
              sql`status = 'succeeded', output = ${j(output)}, input = ${j(result.input)}, error = null, finished_at = now()`,
              "succeeded",
              null,
              finishedAt,
            );
            return done(
              "succeeded",
              await claimNext(tx, await settleStep(tx, ref, step.name, step.itemIndex, "succeeded")),
            );
          }
          case "failed": {
            const { info, retryable } = describeStepError(result.error);
            if (retryable && step.attempt < step.maxAttempts) {
              const delay = backoffDelayMs(retry, step.attempt);
              await fenced(
                tx,
                step,
                sql`status = 'queued', error = ${j(info)}, input = ${j(result.input)},
              ready_at = now() + ${delay} * interval '1 millisecond'`,
                "failed",
                info,
                finishedAt,
              );
              return done("retrying");
            }
            await fenced(
              tx,
              step,
              sql`status = 'failed', error = ${j(info)}, input = ${j(result.input)}, finished_at = now()`,
              "failed",
              info,
              finishedAt,
            );
            return done(
              "failed",
              await claimNext(tx, await settleStep(tx, ref, step.name, step.itemIndex, "failed", info)),
            );
          }
          case "skipped":
            await fenced(tx, step, sql`status = 'skipped', attempts = attempts - 1, finished_at = now()`);
            return done(
              "skipped",
              await claimNext(tx, await settleStep(tx, ref, step.name, step.itemIndex, "skipped")),
            );
          case "park": {
            // A wait whose event was published before this tick reached it takes that event now
            // (events since the run started count: a late tick must never lose one).
            const event =
              result.waitTopic === undefined ? null : await findPublishedEvent(tx, run, step.name, result.waitTopic);
            if (event) {
              await fenced(
                tx,
                step,
                sql`status = 'succeeded', output = ${j(event)}, error = null, finished_at = now()`,
                "succeeded",
                null,
                finishedAt,
              );
              if (step.itemIndex < 0) run.outputs[step.name] = { output: event };
              return done(
                "succeeded",
                await claimNext(tx, await settleStep(tx, ref, step.name, step.itemIndex, "succeeded")),
              );
            }
            // Parking is not an attempt: the counter goes back, the lease is dropped. A wait for an
            // event counts events from its run's start; a callback wait from now.
            const since =
              result.waitTopic === undefined ? sql`now()` : sql`(select created_at from runs where id = ${run.id})`;
            await fenced(
              tx,
              step,
              sql`status = 'waiting', attempts = attempts - 1, ready_at = ${result.readyAt.toISOString()}::timestamptz,
            wait_topic = ${result.waitTopic ?? null}, wait_since = ${since}, input = ${result.input === undefined ? sql`input` : j(result.input)}`,
            );
            return done("parked");
          }
          case "defer":
            // Not an attempt either: back to the queue until the gateway lets the call through.
            await fenced(
              tx,
              step,
              sql`status = 'queued', attempts = attempts - 1,
            ready_at = ${result.readyAt.toISOString()}::timestamptz, error = ${j({ name: "Deferred", message: result.reason })}`,
            );
            return done("deferred");
          case "expand":
            return expand(tx, ref, step, result.items, claimNext);
        }
      }),
    );
  } catch (error) {
    if (!(error instanceof Superseded)) throw error;
    await recordDiscarded(db, step, finishedAt);
    return done("discarded");
  }
}

/** A for_each parent: one queued row per item, the parent waits for them. */
async function expand(
  tx: Db,
  run: { id: string; plan: RunContext["plan"] },
  step: ClaimedStep,
  items: unknown[],
  claimNext: (tx: Db, ready: string[]) => Promise<ClaimedStep[]>,
): Promise<Completion> {
  if (items.length === 0) {
    await fenced(
      tx,
      step,
      sql`status = 'succeeded', attempts = attempts - 1, output = '[]'::jsonb, finished_at = now()`,
    );
    return { outcome: "succeeded", next: await claimNext(tx, await settleStep(tx, run, step.name, -1, "succeeded")) };
  }
  await fenced(
    tx,
    step,
    sql`status = 'waiting', attempts = attempts - 1, ready_at = null, items_remaining = ${items.length}`,
  );
  await tx.execute(sql`insert into steps (run_id, name, item_index, kind, status, priority, max_attempts, timeout_ms, ready_at, item)
    select p.run_id, p.name, i.ord - 1, p.kind, 'queued', p.priority, p.max_attempts, p.timeout_ms, now(), jsonb_build_object('item', i.value)
    from steps p, jsonb_array_elements(${j(items)}) with ordinality as i(value, ord)
    where p.id = ${step.id}`);
  return { outcome: "expanded", next: [] };
}

export interface ItemSuccess {
  step: ClaimedStep;
  output: unknown;
  input: unknown;
  finishedAt: Date;
}

/**
 * Records many succeeded items of one for_each step in one transaction: one statement for the
 * rows and their attempts, one decrement of the parent. Items whose attempt was superseded are
 * recorded as discarded, as in completeStep.
 */
export async function completeItemsBatch(
  db: Db,
  run: RunContext,
  name: string,
  items: ItemSuccess[],
  continuation?: Continuation,
): Promise<Completion[]> {
  const values = successRows(items);
  const { updated, next } = await db.transaction(async (tx) => {
    const rows = await queryRows<{ id: unknown }>(
      tx,
      sql`with v as (
            select * from jsonb_to_recordset(${j(values)}) as v(id bigint, fence bigint, attempt int, output jsonb, input jsonb,
              started_at timestamptz, finished_at timestamptz, duration_ms int)
          ), u as (
            update steps s set status = 'succeeded', output = v.output, input = v.input, error = null, finished_at = now(), lease_expires_at = null
            from v where s.id = v.id and s.fence = v.fence and s.status = 'running' returning s.id
          ), a as (
            insert into step_attempts (step_id, attempt, fence, outcome, error, started_at, finished_at, duration_ms)
            select v.id, v.attempt, v.fence, 'succeeded', null, v.started_at, v.finished_at, v.duration_ms from v join u on u.id = v.id
          )
          select id from u`,
    );
    const ref = { id: run.id, plan: run.plan, deferReady: true };
    const ready = rows.length > 0 ? await settleItems(tx, ref, name, rows.length, 0) : [];
    return {
      updated: new Set(rows.map((r) => Number(r.id))),
      next: await startReadySteps(tx, run.id, ready, continuation),
    };
  });
  const completions: Completion[] = [];
  for (const item of items) {
    if (updated.has(item.step.id)) continue;
    await recordDiscarded(db, item.step, item.finishedAt);
    completions.push({ outcome: "discarded", next: [] });
  }
  completions.push(
    ...Array.from({ length: updated.size }, (_, k) => ({ outcome: "succeeded" as const, next: k === 0 ? next : [] })),
  );
  return completions;
}

export interface TopLevelSuccess {
  run: RunContext;
  step: ClaimedStep;
  output: unknown;
  input: unknown;
  finishedAt: Date;
}

/**
 * Records the succeeded top-level steps of one claimed batch (typically of different runs) in
 * ONE transaction: one commit instead of one per step. The runs are locked first, in id order,
 * so two batches touching the same runs cannot deadlock. Steps nothing depends on (every
 * one-step run, the last step of a chain, error handlers) are recorded set-based, a fixed
 * number of statements for the whole batch (progress.ts `settleSinks`); the others one
 * statement each. A superseded attempt changes nothing (every write is conditional on the
 * fence) and is recorded as discarded.
 */
export async function completeTopLevelBatch(
  db: Db,
  entries: TopLevelSuccess[],
  continuation?: Continuation,
): Promise<{ entry: TopLevelSuccess; completion: Completion }[]> {
  const sorted = [...entries].sort((a, b) =>
    a.run.id < b.run.id ? -1 : a.run.id > b.run.id ? 1 : a.step.id - b.step.id,
  );
  const sinks = sorted.filter((e) => e.run.plan.dependents(e.step.name).length === 0);
  const others = sorted.filter((e) => e.run.plan.dependents(e.step.name).length > 0);
  const results = await db.transaction(async (tx) => {
    const out: { entry: TopLevelSuccess; completion: Completion }[] = [];
    await tx.execute(
      sql`select id from runs where id = any(${sql.param([...new Set(sorted.map((e) => e.run.id))])}::uuid[]) order by id for update`,
    );
    if (sinks.length > 0) {
      const fenced = await settleSinks(tx, sinks);
      for (const entry of sinks) {
        const ok = fenced.has(entry.step.id);
        if (ok) entry.run.outputs[entry.step.name] = { output: entry.output };
        out.push({ entry, completion: { outcome: ok ? "succeeded" : "discarded", next: [] } });
      }
    }
    for (const entry of others) {
      const ref = { id: entry.run.id, plan: entry.run.plan, deferReady: true };
      const settled = await settleSucceededTopLevel(tx, ref, entry.step, entry, continuation);
      if (settled === null) {
        out.push({ entry, completion: { outcome: "discarded", next: [] } });
        continue;
      }
      entry.run.outputs[entry.step.name] = { output: entry.output };
      const next = [...settled.claimed, ...(await startReadySteps(tx, entry.run.id, settled.ready, continuation))];
      out.push({ entry, completion: { outcome: "succeeded", next } });
    }
    return out;
  });
  for (const { entry, completion } of results) {
    if (completion.outcome !== "discarded") continue;
    await recordDiscarded(db, entry.step, entry.finishedAt);
  }
  return results;
}
