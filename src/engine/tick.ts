/**
 * A tick advances work within a time budget: sweep (expired leases, due waits), then claim a
 * batch of ready steps that can finish inside what is left of the budget, run them
 * concurrently, record each result, and repeat until nothing is ready or the budget is spent.
 * It never runs past its budget: it only claims steps whose timeout fits in the time left
 * (minus a margin for recording results), and every attempt is cut at its timeout.
 *
 * The same function is driven by the cron/self-continuation route, the in-process worker of
 * `npm start`, and `npm run worker`.
 */
import { flushCalls } from "./kinds/agent";
import type { Db } from "@/db/client";
import {
  completeItemsBatch,
  completeStep,
  completeTopLevelBatch,
  type Completion,
  type CompletionOutcome,
  type Continuation,
  type ItemSuccess,
  type TopLevelSuccess,
} from "./complete";
import { startDueCronRuns } from "./cron";
import { DEFAULT_RETRY } from "./definition";
import { executeStep, type RunContext, type StepResult } from "./execute";
import { getPlan } from "./registry";
import { markCacheHit } from "./sql/cache-hit";
import { claimSteps, type ClaimedStep } from "./sql/claim";
import { nextDueInMs } from "./sql/next-due";
import { selectOutputs, selectRunOutputs, selectRuns } from "./sql/run-contexts";
import { toNumber } from "@/db/rows";
import { housekeepingDue, runHousekeeping } from "./housekeeping";
import { sweepDueWaits, sweepExpiredLeases } from "./sweep";
import { RECORD_MARGIN_MS } from "./tick-budget";
import { sleepUntilWoken } from "./wake";
import { log } from "@/observability/log";
import { METRICS, flushMetrics, recordMetric } from "@/observability/metrics/record";

export interface TickOptions {
  budgetMs: number;
  /** Steps claimed per batch (default 100: measured best on W1 and W3 against 25 and 50, see docs/benchmarks.md). */
  batchSize?: number;
  /** Lease = timeout + this (default 5 s). */
  leaseGraceMs?: number;
  /** Sweep even if this process swept less than 200 ms ago (the cron route, tests). */
  alwaysSweep?: boolean;
  /**
   * Resident workers only: claim steps whatever their timeout. A step whose timeout exceeds
   * every budget would otherwise wait forever; a resident worker has no platform time limit,
   * so its budget is a rhythm, not a bound. Route ticks never set this.
   */
  claimAnyTimeout?: boolean;
  /** Write the buffered agent-call records and metric points before returning (the serverless tick route). */
  flushCallRecords?: boolean;
  /**
   * The tick route (no resident worker): when nothing is ready, wait inside this tick for the
   * earliest timer (sleep end, retry backoff, wait timeout, lease expiry) due within this many
   * ms and within the budget, instead of leaving it to the next cron. `nextDueInMs` in the
   * result tells the caller about a timer the budget could not reach.
   */
  carryTimersMs?: number;
  /** Who started this tick (`cron`, `continuation`, `kick`): recorded as the `tick.duration` metric. */
  origin?: string;
}

export interface TickResult {
  claimed: number;
  outcomes: Partial<Record<CompletionOutcome, number>>;
  swept: number;
  /** True when the tick stopped for lack of budget while work may remain. */
  budgetExhausted: boolean;
  elapsedMs: number;
  /** With `carryTimersMs`: ms until the earliest timer when the tick ended (null: none, or not looked). */
  nextDueInMs: number | null;
}

/**
 * Sweeps and cron look at time, not at new work: a busy worker that ticks back to back needs
 * them a few times a second at most, not before every claim (they cost ~7 round trips).
 */
const SWEEP_INTERVAL_MS = 200;
const lastSweep = new WeakMap<Db, number>();

function sweepIsDue(db: Db): boolean {
  const now = performance.now();
  if (now - (lastSweep.get(db) ?? -Infinity) < SWEEP_INTERVAL_MS) return false;
  lastSweep.set(db, now);
  return true;
}

/** Steps claimed per batch: 100 measured best on W1 and W3 against 25 and 50 (docs/benchmarks.md). */
export const DEFAULT_BATCH_SIZE = 100;

export async function loadRunContexts(db: Db, runIds: string[]): Promise<Map<string, RunContext>> {
  const ids = [...new Set(runIds)];
  const runs = await selectRuns(db, ids);
  const outputs = await selectOutputs(db, ids);
  const contexts = new Map<string, RunContext>();
  for (const r of runs) {
    const version = toNumber(r.version);
    contexts.set(r.id, {
      id: r.id,
      workflow: r.workflow,
      version,
      status: r.status,
      input: r.input,
      trigger: r.trigger,
      plan: await getPlan(db, r.workflow, version),
      outputs: {},
    });
  }
  for (const o of outputs) {
    const ctx = contexts.get(o.run_id);
    if (ctx) ctx.outputs[o.name] = { output: o.output };
  }
  return contexts;
}

interface TickState {
  deadline: number;
  leaseGraceMs: number;
  result: TickResult;
}

function retryOf(run: RunContext, step: ClaimedStep) {
  return run.plan.step(step.name)?.retry ?? DEFAULT_RETRY;
}

function continuationOf(state: TickState): Continuation | undefined {
  const left = state.deadline - performance.now() - RECORD_MARGIN_MS;
  return left > 0 ? { maxTimeoutMs: left, leaseGraceMs: state.leaseGraceMs } : undefined;
}

/**
 * Outputs the successors read must be in the run context. A chain step's output was added by
 * its completion; a for_each parent's output was assembled in SQL, so it is read back.
 */
async function refreshOutputs(db: Db, run: RunContext, next: ClaimedStep[]): Promise<void> {
  const missing = next.some((step) => (run.plan.step(step.name)?.dependsOn ?? []).some((dep) => !(dep in run.outputs)));
  if (!missing) return;
  const rows = await selectRunOutputs(db, run.id);
  for (const row of rows) run.outputs[row.name] = { output: row.output };
}

/** Counts a completion, then runs at once the successors it claimed. */
async function followUp(db: Db, run: RunContext, completion: Completion, state: TickState): Promise<void> {
  state.result.outcomes[completion.outcome] = (state.result.outcomes[completion.outcome] ?? 0) + 1;
  state.result.claimed += completion.next.length;
  if (completion.next.length > 0) await refreshOutputs(db, run, completion.next);
  await Promise.all(completion.next.map((next) => runOneSafely(db, run, next, state)));
}

const METRIC_STATUS: Record<StepResult["type"], string> = {
  succeeded: "succeeded",
  failed: "failed",
  skipped: "skipped",
  expand: "expanded",
  park: "parked",
  defer: "deferred",
};

/** Runs a claimed attempt and records `step.duration` (buffered: no query here but a cache hit's mark). */
async function executeTimed(db: Db, run: RunContext, step: ClaimedStep): Promise<StepResult> {
  const started = performance.now();
  const result = await executeStep(db, run, step);
  // Served from the agents' result cache: the step records it before its completion (sql/cache-hit.ts).
  // Only informative: a failed mark is logged, the result still recorded.
  if (result.type === "succeeded" && result.cached)
    await markCacheHit(db, step, result.cached).catch((error: unknown) =>
      log.warn("tick: could not mark a cache hit", { runId: step.runId, step: step.name, error }),
    );
  const def = run.plan.step(step.name);
  recordMetric(db, {
    name: METRICS.stepDuration,
    value: Math.round((performance.now() - started) * 10) / 10,
    error: result.type === "failed",
    labels: {
      workflow: run.workflow,
      step: step.name,
      kind: def?.kind ?? "unknown",
      agent: def?.kind === "agent" ? def.agent : "",
      status: METRIC_STATUS[result.type],
    },
  });
  return result;
}

/** Runs a step, records it, then runs at once the successors its completion claimed. */
async function runOne(db: Db, run: RunContext, step: ClaimedStep, state: TickState): Promise<void> {
  const result = await executeTimed(db, run, step);
  await followUp(db, run, await completeStep(db, run, step, result, retryOf(run, step), continuationOf(state)), state);
}

function guard(step: ClaimedStep, state: TickState, work: Promise<void>): Promise<void> {
  return work.catch((error: unknown) => {
    // Recording failed (database trouble): the lease will expire and the sweep retries it.
    log.error("tick: could not record a step result", { runId: step.runId, step: step.name, error });
    state.result.outcomes.discarded = (state.result.outcomes.discarded ?? 0) + 1;
  });
}

function runOneSafely(db: Db, run: RunContext, step: ClaimedStep, state: TickState): Promise<void> {
  return guard(step, state, runOne(db, run, step, state));
}

/**
 * Groups results that arrive within the same turn of the event loop and records each group in
 * one transaction. Grouping by turn, not by claimed batch, keeps a slow step of the batch from
 * holding back (and letting expire the leases of) the fast ones.
 */
class TurnBatcher<T> {
  private pending: T[] = [];
  readonly flushes: Promise<void>[] = [];
  constructor(private readonly flush: (list: T[]) => Promise<void>) {}
  add(value: T): void {
    this.pending.push(value);
    if (this.pending.length > 1) return;
    this.flushes.push(
      new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        const list = this.pending;
        this.pending = [];
        return this.flush(list);
      }),
    );
  }
}

/**
 * Runs a claimed batch. Succeeded results that arrive together are recorded together: the
 * top-level steps of different runs in one transaction, the items of one for_each in one
 * transaction (one decrement of the parent row). Everything else is recorded as it finishes.
 */
async function runBatch(db: Db, claimed: ClaimedStep[], state: TickState): Promise<void> {
  const contexts = await loadRunContexts(
    db,
    claimed.map((c) => c.runId),
  );
  const tops = new TurnBatcher<TopLevelSuccess>((list) =>
    guard(
      list[0]!.step,
      state,
      list.length === 1
        ? completeStep(
            db,
            list[0]!.run,
            list[0]!.step,
            { type: "succeeded", output: list[0]!.output, input: list[0]!.input },
            retryOf(list[0]!.run, list[0]!.step),
            continuationOf(state),
          ).then((c) => followUp(db, list[0]!.run, c, state))
        : completeTopLevelBatch(db, list, continuationOf(state)).then((done) =>
            Promise.all(done.map(({ entry, completion }) => followUp(db, entry.run, completion, state))).then(
              () => undefined,
            ),
          ),
    ),
  );
  const items = new Map<string, TurnBatcher<ItemSuccess>>();
  const itemBatcher = (run: RunContext, name: string) => {
    const key = `${run.id}/${name}`;
    let batcher = items.get(key);
    if (!batcher) {
      batcher = new TurnBatcher<ItemSuccess>((list) =>
        guard(
          list[0]!.step,
          state,
          completeItemsBatch(db, run, name, list, continuationOf(state)).then((cs) =>
            Promise.all(cs.map((c) => followUp(db, run, c, state))).then(() => undefined),
          ),
        ),
      );
      items.set(key, batcher);
    }
    return batcher;
  };
  await Promise.all(
    claimed.map(async (step) => {
      const run = contexts.get(step.runId);
      if (!run) return void (state.result.outcomes.discarded = (state.result.outcomes.discarded ?? 0) + 1);
      const result = await executeTimed(db, run, step);
      if (result.type === "succeeded" && !result.emit) {
        const success = { step, output: result.output, input: result.input, finishedAt: new Date() };
        if (step.itemIndex < 0) tops.add({ run, ...success });
        else itemBatcher(run, step.name).add(success);
        return;
      }
      await guard(
        step,
        state,
        completeStep(db, run, step, result, retryOf(run, step), continuationOf(state)).then((c) =>
          followUp(db, run, c, state),
        ),
      );
    }),
  );
  await Promise.all([...tops.flushes, ...[...items.values()].flatMap((b) => b.flushes)]);
}

function earliest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

export async function tick(db: Db, options: TickOptions): Promise<TickResult> {
  const started = performance.now();
  const deadline = started + options.budgetMs;
  const result: TickResult = {
    claimed: 0,
    outcomes: {},
    swept: 0,
    budgetExhausted: false,
    elapsedMs: 0,
    nextDueInMs: null,
  };
  let sweepNow = options.alwaysSweep ?? false;
  let dueDeliveryWaits = 0;
  for (;;) {
    // Yield to the event loop: PGlite answers without ever doing so, and a busy worker would
    // otherwise starve the rest of its process (the HTTP server of `npm start`).
    await new Promise<void>((resolve) => setImmediate(resolve));
    // Sweeps inside the loop: a worker busy for minutes must still end sleeps and recover leases.
    if (sweepNow || sweepIsDue(db)) {
      result.swept += await sweepExpiredLeases(db);
      result.swept += await sweepDueWaits(db);
      result.swept += await startDueCronRuns(db);
      await runHousekeeping(db, { deadline: deadline - RECORD_MARGIN_MS });
    }
    sweepNow = false;
    const left = deadline - performance.now() - RECORD_MARGIN_MS;
    if (left <= 0) {
      result.budgetExhausted = true;
      break;
    }
    const leaseGraceMs = options.leaseGraceMs ?? 5_000;
    // int4 bound: the claim compares with timeout_ms.
    const maxTimeoutMs = options.claimAnyTimeout ? 2 ** 31 - 1 : left;
    const claimed = await claimSteps(db, {
      limit: options.batchSize ?? DEFAULT_BATCH_SIZE,
      maxTimeoutMs,
      leaseGraceMs,
    });
    if (claimed.length === 0) {
      if (!options.carryTimersMs) break;
      // Nothing ready: a timer due soon (a step's, or a delivery retry's) is carried by this tick
      // rather than left to the cron.
      const deliveries = await housekeepingDue(db);
      // A delivery already due but held back by the chore's rhythm is waited for once per tick.
      const deliveryMs =
        deliveries === null || (deliveries.dueNow && deliveries.ms > 0 && dueDeliveryWaits++ > 0)
          ? null
          : deliveries.ms;
      result.nextDueInMs = earliest(await nextDueInMs(db, maxTimeoutMs), deliveryMs);
      const waitMs = result.nextDueInMs;
      if (
        waitMs === null ||
        waitMs > options.carryTimersMs ||
        waitMs >= deadline - performance.now() - RECORD_MARGIN_MS
      )
        break;
      await sleepUntilWoken(waitMs + 5);
      sweepNow = true;
      continue;
    }
    result.nextDueInMs = null;
    result.claimed += claimed.length;
    await runBatch(db, claimed, { deadline, leaseGraceMs, result });
  }
  // A serverless tick writes the record of its agent calls (latency, outcome) before it ends:
  // the invocation may be frozen right after it answers. Resident workers flush on a timer.
  result.elapsedMs = Math.round(performance.now() - started);
  if (options.origin) {
    recordMetric(db, {
      name: METRICS.tickDuration,
      value: result.elapsedMs,
      labels: { origin: options.origin, budgetMs: String(options.budgetMs) },
    });
  }
  if (options.flushCallRecords) await Promise.all([flushCalls(db), flushMetrics(db)]);
  return result;
}
