/**
 * What happens when a step reaches a final state (succeeded, failed, skipped, cancelled):
 * its dependents' counters move and the ones that can be decided are queued or skipped, a
 * for_each parent collects its items, error handlers are scheduled, and the run ends when its
 * last step does. Always called inside the transaction that made the step final, so a step's
 * completion and its dependents' readiness commit together.
 *
 * Counters instead of a run lock: each dependent row is updated (and so row-locked) by the
 * completing transaction, so two dependencies finishing at once serialise on the dependent's
 * row, and exactly one of them sees `deps_remaining` reach its final value.
 */
import type { Db } from "@/db/client";
import { renderTemplates, type TemplateScope } from "./definition";
import type { Plan } from "./plan";
import type { FencedAttempt } from "./sql/attempts";
import { toClaimed, type ClaimedStep } from "./sql/claim";
import { admissionKeyOf, admitNext, lockAdmission } from "./sql/admission";
import {
  countDependency,
  countRunSteps,
  insertHandler,
  queueSteps,
  skipSteps,
  type DependentRow,
} from "./sql/dependents";
import { collectItems, countItems, failParent } from "./sql/items";
import { endRun, selectRunScope, selectTopLevelSteps } from "./sql/finish-run";
import { lockRun } from "./sql/lock-runs";
import { settleSucceeded } from "./sql/settle-succeeded";
import { endDefaultRuns, recordSinkSuccesses } from "./sql/settle-sinks";
import { toNumber } from "@/db/rows";

export type FinalStatus = "succeeded" | "failed" | "skipped" | "cancelled";

export interface RunRef {
  id: string;
  plan: Plan;
  /**
   * Leave the steps this settlement makes ready `pending` and return them: the caller queues
   * them or claims them itself in one statement (claim.ts `startReadySteps`).
   */
  deferReady?: boolean;
}

type Decision = "ready" | "skip" | "wait";

/** Trigger rules, decided as early as the counters allow. */
export function decide(rule: string, total: number, remaining: number, succeeded: number): Decision {
  const notSucceeded = total - remaining - succeeded; // failed, skipped or cancelled
  if (rule === "all_done") return remaining === 0 ? "ready" : "wait";
  if (rule === "one_success") return succeeded > 0 ? "ready" : remaining === 0 ? "skip" : "wait";
  return notSucceeded > 0 ? "skip" : remaining === 0 ? "ready" : "wait";
}

/**
 * Settles a step that just became final; `error` is its failure, for error handlers.
 * Returns the names of the top-level steps it made ready (the caller may claim them at once).
 */
export async function settleStep(
  tx: Db,
  run: RunRef,
  name: string,
  itemIndex: number,
  status: FinalStatus,
  error?: unknown,
): Promise<string[]> {
  if (itemIndex >= 0) return settleItem(tx, run, name, status, error);
  // A top-level step that failed or was skipped (rare): the run's row before any dependent's
  // row, the lock order of settleSucceededTopLevel, so a sibling failing while another succeeds
  // cannot deadlock on the join they share. Items (the hot fan-out path) are serialised on their
  // parent's row already and pay no extra round trip; completeStep retries a deadlock victim.
  await lockRun(tx, run.id);
  return propagate(tx, run, [{ name, status, error }], { ready: [], skipped: [] }, null);
}

type Finished = { name: string; status: FinalStatus; error?: unknown };

/**
 * Settles `finished` steps and the skips they cause. `advanced` is what was already decided for
 * them (the fast path decides the first step's dependents itself); `counted`, when given, is the
 * run row after the first step was already counted.
 */
async function propagate(
  tx: Db,
  run: RunRef,
  finished: Finished[],
  advanced: Advanced,
  counted: { steps_remaining: unknown; status: string } | null,
): Promise<string[]> {
  const ready = [...advanced.ready];
  const queue = [...finished];
  let stepsDone = 0;
  let handlersAdded = 0;
  while (queue.length > 0) {
    const current = queue.shift()!;
    stepsDone++;
    if (current.status === "failed") handlersAdded += await scheduleHandlers(tx, run, current.name, current.error);
    const next = await advanceDependents(tx, run, current.name, current.status);
    ready.push(...next.ready);
    queue.push(...next.skipped);
  }
  let row: { steps_remaining: unknown; status: string } | null | undefined = counted;
  if (stepsDone + handlersAdded > 0) {
    row = await countRunSteps(tx, run.id, stepsDone, handlersAdded);
  }
  if (row && toNumber(row.steps_remaining) === 0 && row.status !== "cancelled") await finishRun(tx, run);
  return ready;
}

/**
 * The hot path of a successful top-level step, in one statement: the fenced write, its attempt
 * row, its dependents' counters and the run's counter; an all_success dependent whose last
 * dependency this was is claimed by the same statement when its timeout fits, else queued.
 * For a link of a chain (see isChainLink) nothing else can follow, so completeStep runs this
 * single statement outside any explicit transaction: one round trip and one commit per step. Returns null when the attempt was superseded; otherwise the
 * steps it made ready, skips propagated and the run finished as in settleStep.
 *
 * The statement and its lock order: sql/settle-succeeded.ts.
 */
export async function settleSucceededTopLevel(
  tx: Db,
  run: RunRef,
  step: FencedAttempt & { name: string },
  values: { output: unknown; input: unknown; finishedAt: Date },
  claim?: { maxTimeoutMs: number; leaseGraceMs: number },
): Promise<{ ready: string[]; claimed: ClaimedStep[] } | null> {
  // A dependent under all_success whose last dependency this is becomes ready for sure: it is
  // claimed by this very statement (when its timeout fits), saving the successor's claim.
  const meta = run.plan.dependents(step.name).map((name) => {
    const def = run.plan.step(name);
    return { name, total: def?.dependsOn.length ?? 0, simple: (def?.triggerRule ?? "all_success") === "all_success" };
  });
  const row = await settleSucceeded(tx, run.id, step, values, meta, claim);
  if (!row || toNumber(row.fenced) === 0) return null;
  const claimed = row.dependents.filter((d) => d.taken).map(toClaimed);
  // Dependents this statement made ready are already `running` (claimed) or `queued`.
  const advanced = await decideDependents(
    tx,
    run,
    row.dependents.filter((d) => !d.taken && d.status !== "queued"),
  );
  const ready = await propagate(tx, run, advanced.skipped, advanced, {
    steps_remaining: row.steps_remaining,
    status: row.run_status,
  });
  return { ready, claimed };
}

/**
 * A step every dependent of which waits on it alone, under all_success (a link of a chain):
 * its success can only make those dependents ready, which settleSucceededTopLevel's statement
 * does by itself. Nothing to skip, no run to end, no handler to schedule.
 */
export function isChainLink(plan: Plan, name: string): boolean {
  const dependents = plan.dependents(name);
  return (
    dependents.length > 0 &&
    dependents.every((d) => {
      const def = plan.step(d);
      return def !== undefined && def.dependsOn.length === 1 && def.triggerRule === "all_success";
    })
  );
}

export interface SinkSuccess {
  run: { id: string; plan: Plan };
  step: FencedAttempt;
  output: unknown;
  input: unknown;
  finishedAt: Date;
}

/**
 * Settles succeeded top-level steps that nothing depends on, for many runs at once (the caller
 * holds the runs' row locks): one statement writes the fenced steps, their attempts and the
 * runs' counters; a second ends, in one go, the runs this finished whose output is the
 * default one (the sinks' outputs by name) and where no step failed. The rest (an `output`
 * template, a failed step, a concurrency key) end through finishRun. Returns the ids of the
 * steps whose attempt still owned them (the others were superseded and changed nothing).
 */
export async function settleSinks(tx: Db, entries: SinkSuccess[]): Promise<Set<number>> {
  const row = await recordSinkSuccesses(tx, entries);
  const fenced = new Set((row?.fenced ?? []).map((id) => toNumber(id)));
  const plans = new Map(entries.map((e) => [e.run.id, e.run.plan]));
  const ending = (row?.runs ?? [])
    .filter((r) => toNumber(r.left) === 0 && r.status !== "cancelled")
    .map((r) => ({ id: r.id, plan: plans.get(r.id)! }));
  const simple = ending.filter((r) => r.plan.definition.output === undefined && !r.plan.definition.concurrency);
  const ended = new Set<string>();
  if (simple.length > 0) {
    const runs = simple.map((r) => ({
      id: r.id,
      sinks: r.plan.sinks,
      top: r.plan.definition.steps.map((s) => s.name),
    }));
    const rows = await endDefaultRuns(tx, runs);
    for (const r of rows) ended.add(r.id);
  }
  for (const run of ending) if (!ended.has(run.id)) await finishRun(tx, run);
  return fenced;
}

interface Advanced {
  ready: string[];
  skipped: Finished[];
}

async function advanceDependents(tx: Db, run: RunRef, name: string, status: FinalStatus): Promise<Advanced> {
  const dependents = run.plan.dependents(name);
  if (dependents.length === 0) return { ready: [], skipped: [] };
  const rows = await countDependency(tx, run.id, dependents, {
    ok: status === "succeeded" ? 1 : 0,
    bad: status === "failed" ? 1 : 0,
  });
  return decideDependents(tx, run, rows);
}

/** Applies the trigger rules to dependents whose counters just moved; writes ready and skipped. */
async function decideDependents(tx: Db, run: RunRef, rows: DependentRow[]): Promise<Advanced> {
  const skipped: Finished[] = [];
  const ready: string[] = [];
  for (const row of rows) {
    const def = run.plan.step(row.name);
    const decision = decide(
      def?.triggerRule ?? "all_success",
      def?.dependsOn.length ?? 0,
      toNumber(row.deps_remaining),
      toNumber(row.deps_succeeded),
    );
    if (decision === "ready") ready.push(row.name);
    else if (decision === "skip") skipped.push({ name: row.name, status: "skipped" });
  }
  if (ready.length > 0 && !run.deferReady) await queueSteps(tx, run.id, ready);
  if (skipped.length > 0)
    await skipSteps(
      tx,
      run.id,
      skipped.map((s) => s.name),
    );
  return { ready, skipped };
}

/** An item of a for_each finished: when it is the last one, the parent ends too. */
function settleItem(tx: Db, run: RunRef, name: string, status: FinalStatus, error: unknown): Promise<string[]> {
  return settleItems(tx, run, name, 1, status === "failed" || status === "cancelled" ? 1 : 0, error);
}

/**
 * `count` items of a for_each finished (`failed` of them not successfully). Completing items in
 * batches matters: every item decrements the parent's row, so item completions serialise on
 * that row lock until commit; one batch takes the lock once.
 */
export async function settleItems(
  tx: Db,
  run: RunRef,
  name: string,
  count: number,
  failed: number,
  error?: unknown,
): Promise<string[]> {
  const parent = await countItems(tx, run.id, name, count, failed);
  if (!parent || toNumber(parent.items_remaining) > 0 || parent.status !== "waiting") return [];
  if (toNumber(parent.deps_failed) > 0) {
    const parentError = {
      message: `${toNumber(parent.deps_failed)} item(s) of "${name}" failed`,
      cause: error ?? null,
    };
    await failParent(tx, run.id, name, parentError);
    return settleStep(tx, run, name, -1, "failed", parentError);
  }
  await collectItems(tx, run.id, name);
  return settleStep(tx, run, name, -1, "succeeded");
}

/** Inserts the handlers of a failed step (each handler runs at most once per run). */
async function scheduleHandlers(tx: Db, run: RunRef, failedStep: string, error: unknown): Promise<number> {
  if (run.plan.isHandler(failedStep)) return 0; // a handler failed: no handlers of handlers
  let added = 0;
  for (const { step: handler } of run.plan.handlersFor(failedStep)) {
    const inserted = await insertHandler(
      tx,
      run.id,
      { name: handler.name, kind: handler.kind, maxAttempts: handler.retry.maxAttempts, timeoutMs: handler.timeoutMs },
      { error: { step: failedStep, message: errorMessage(error) } },
    );
    if (inserted) added++;
  }
  return added;
}

export function errorMessage(error: unknown): string {
  if (error && typeof error === "object" && "message" in error) return String((error as { message: unknown }).message);
  return error === undefined || error === null ? "unknown error" : String(error);
}

/** The run's last step is final: succeeded unless a step failed; output rendered. */
async function finishRun(tx: Db, run: RunRef): Promise<void> {
  const rows = await selectTopLevelSteps(tx, run.id);
  const topLevel = new Set(run.plan.definition.steps.map((s) => s.name));
  const failedStep = rows.find((r) => r.status === "failed" && topLevel.has(r.name));
  let output: unknown = null;
  let error: unknown = failedStep ? { step: failedStep.name, message: errorMessage(failedStep.error) } : null;
  if (!failedStep) {
    const outputs = Object.fromEntries(
      rows.filter((r) => r.status === "succeeded").map((r) => [r.name, { output: r.output }]),
    );
    try {
      output = await runOutput(tx, run, outputs);
    } catch (e) {
      error = { step: null, message: `output: ${errorMessage(e)}` };
    }
  }
  await endRun(tx, run.id, output, error);
  // Only workflows with a concurrency key hold runs back (one query saved per run otherwise).
  if (run.plan.definition.concurrency) await admitNextRun(tx, run.id);
}

async function runOutput(tx: Db, run: RunRef, outputs: Record<string, { output: unknown }>): Promise<unknown> {
  const def = run.plan.definition;
  if (def.output === undefined)
    return Object.fromEntries(run.plan.sinks.map((name) => [name, outputs[name]?.output ?? null]));
  const r = await selectRunScope(tx, run.id);
  const scope: TemplateScope = {
    input: r?.input ?? null,
    trigger: r?.trigger ?? null,
    steps: outputs,
    run: { id: run.id, workflow: def.name, version: run.plan.version },
  };
  return renderTemplates(def.output, scope);
}

/**
 * A run with a concurrency key ended: admit the oldest waiting run with the same key, if any.
 * Serialised with starts by the same advisory lock (see admission in runs.ts).
 */
export async function admitNextRun(tx: Db, finishedRunId: string): Promise<void> {
  const finished = await admissionKeyOf(tx, finishedRunId);
  if (!finished?.concurrency_key) return;
  await lockAdmission(tx, finished.workflow, finished.concurrency_key);
  await admitNext(tx, finished.workflow, finished.concurrency_key);
}
