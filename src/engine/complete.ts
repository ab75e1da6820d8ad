/**
 * Records an attempt's result, exactly once: every write is conditional on the attempt's
 * fencing token and on the row still being `running`. If that condition fails (the lease
 * expired and someone else claimed the step, or the run was cancelled), the transaction is
 * rolled back (so an `emit` publishes nothing) and the attempt is recorded as `discarded`.
 */
import type { SQL } from "drizzle-orm";
import type { Db } from "@/db/client";
import { findPublishedEvent, publishEventInTx } from "./events";
import type { RunContext, StepResult } from "./execute";
import { isChainLink, settleItems, settleSinks, settleStep, settleSucceededTopLevel } from "./progress";
import { insertAttempt } from "./sql/attempts";
import type { ClaimedStep } from "./sql/claim";
import { fencedWrite, outcomeSet, recordSuccesses } from "./sql/fenced-write";
import { insertItems } from "./sql/items";
import { lockRuns } from "./sql/lock-runs";
import { startReadySteps } from "./sql/start-ready";
import { retryOnConflict } from "./conflict";
import { describeStepError } from "@/step-errors";

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

/** The fenced write (sql/fenced-write.ts); a superseded attempt aborts the transaction. */
async function fenced(
  tx: Db,
  step: ClaimedStep,
  set: SQL,
  attempt?: { outcome: string; error: unknown; finishedAt: Date },
): Promise<void> {
  if (!(await fencedWrite(tx, step, set, attempt))) throw new Superseded();
}

/** A superseded attempt's result is dropped; its history keeps the attempt, as `discarded`. */
function recordDiscarded(db: Db, step: ClaimedStep, finishedAt: Date): Promise<void> {
  return insertAttempt(
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
            await fenced(tx, step, outcomeSet.succeeded(output, result.input), {
              outcome: "succeeded",
              error: null,
              finishedAt,
            });
            return done(
              "succeeded",
              await claimNext(tx, await settleStep(tx, ref, step.name, step.itemIndex, "succeeded")),
            );
          }
          case "failed": {
            const { info, retryable } = describeStepError(result.error);
            if (retryable && step.attempt < step.maxAttempts) {
              const delay = backoffDelayMs(retry, step.attempt);
              await fenced(tx, step, outcomeSet.retrying(info, result.input, delay), {
                outcome: "failed",
                error: info,
                finishedAt,
              });
              return done("retrying");
            }
            await fenced(tx, step, outcomeSet.failed(info, result.input), {
              outcome: "failed",
              error: info,
              finishedAt,
            });
            return done(
              "failed",
              await claimNext(tx, await settleStep(tx, ref, step.name, step.itemIndex, "failed", info)),
            );
          }
          case "skipped":
            await fenced(tx, step, outcomeSet.skipped());
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
              await fenced(tx, step, outcomeSet.tookEvent(event), { outcome: "succeeded", error: null, finishedAt });
              if (step.itemIndex < 0) run.outputs[step.name] = { output: event };
              return done(
                "succeeded",
                await claimNext(tx, await settleStep(tx, ref, step.name, step.itemIndex, "succeeded")),
              );
            }
            // Parking is not an attempt: the counter goes back, the lease is dropped. A wait for an
            // event counts events from its run's start; a callback wait from now.
            await fenced(
              tx,
              step,
              outcomeSet.parked({
                readyAt: result.readyAt,
                waitTopic: result.waitTopic,
                runId: run.id,
                input: result.input,
              }),
            );
            return done("parked");
          }
          case "defer":
            // Not an attempt either: back to the queue until the gateway lets the call through.
            await fenced(tx, step, outcomeSet.deferred(result.readyAt, result.reason));
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
    await fenced(tx, step, outcomeSet.expandedEmpty());
    return { outcome: "succeeded", next: await claimNext(tx, await settleStep(tx, run, step.name, -1, "succeeded")) };
  }
  await fenced(tx, step, outcomeSet.expanded(items.length));
  await insertItems(tx, step.id, items);
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
  const { updated, next } = await db.transaction(async (tx) => {
    const ids = await recordSuccesses(tx, items);
    const ref = { id: run.id, plan: run.plan, deferReady: true };
    const ready = ids.length > 0 ? await settleItems(tx, ref, name, ids.length, 0) : [];
    return {
      updated: new Set(ids.map((id) => Number(id))),
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
    await lockRuns(tx, [...new Set(sorted.map((e) => e.run.id))]);
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
