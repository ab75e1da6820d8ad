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
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { renderTemplates, type TemplateScope } from "./definition";
import type { Plan } from "./plan";
import { toClaimed, type ClaimRow, type ClaimedStep } from "./sql/claim";
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

interface DependentRow {
  name: string;
  deps_remaining: unknown;
  deps_succeeded: unknown;
  deps_failed: unknown;
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
  await tx.execute(sql`select 1 from runs where id = ${run.id} for update`);
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
    [row] = await queryRows<{ steps_remaining: unknown; status: string }>(
      tx,
      sql`update runs set steps_remaining = steps_remaining - ${stepsDone} + ${handlersAdded}
          where id = ${run.id} returning steps_remaining, status`,
    );
  }
  if (row && toNumber(row.steps_remaining) === 0 && row.status !== "cancelled") await finishRun(tx, run);
  return ready;
}

export interface FencedAttempt {
  id: number;
  fence: number;
  attempt: number;
  claimedAt: Date;
}

/**
 * The hot path of a successful top-level step, in one statement: the fenced write, its attempt
 * row, its dependents' counters and the run's counter; an all_success dependent whose last
 * dependency this was is claimed by the same statement when its timeout fits, else queued.
 * For a link of a chain (see isChainLink) nothing else can follow, so completeStep runs this
 * single statement outside any explicit transaction: one round trip and one commit per step. Returns null when the attempt was superseded; otherwise the
 * steps it made ready, skips propagated and the run finished as in settleStep.
 *
 * Lock order: the step's own row (u), then the run's row (r), then the dependents' rows (d reads
 * r, so r runs first). Two siblings finishing at once into the same join therefore queue on the
 * run's row before either touches the join's row; with d before r, one could lock the join and
 * the other the run, and Postgres would abort one of them (a deadlock, seen on CI).
 */
export async function settleSucceededTopLevel(
  tx: Db,
  run: RunRef,
  step: FencedAttempt & { name: string },
  values: { output: unknown; input: unknown; finishedAt: Date },
  claim?: { maxTimeoutMs: number; leaseGraceMs: number },
): Promise<{ ready: string[]; claimed: ClaimedStep[] } | null> {
  const dependents = run.plan.dependents(step.name);
  const json = (v: unknown) => sql`${JSON.stringify(v ?? null)}::jsonb`;
  // A dependent under all_success whose last dependency this is becomes ready for sure: it is
  // claimed by this very statement (when its timeout fits), saving the successor's claim.
  const meta = dependents.map((name) => {
    const def = run.plan.step(name);
    return { name, total: def?.dependsOn.length ?? 0, simple: (def?.triggerRule ?? "all_success") === "all_success" };
  });
  const maxTimeout = claim ? Math.floor(Math.min(claim.maxTimeoutMs, 2 ** 31 - 1)) : -1;
  const lastDep = sql`(m.simple and s.deps_remaining = 1 and s.deps_failed = 0 and s.deps_succeeded + 1 = m.total)`;
  const takes = sql`(${lastDep} and s.timeout_ms <= ${maxTimeout})`;
  const grace = claim?.leaseGraceMs ?? 0;
  // A step nothing depends on (every one-step run) skips the dependents' update entirely.
  const dependentsUpdate =
    dependents.length === 0
      ? sql`select null::text as name where false`
      : sql`
          update steps s set deps_remaining = s.deps_remaining - 1, deps_succeeded = s.deps_succeeded + 1,
            status = case when ${takes} then 'running' when ${lastDep} then 'queued' else s.status end,
            ready_at = case when ${lastDep} and not ${takes} then now() else s.ready_at end,
            attempts = case when ${takes} then s.attempts + 1 else s.attempts end,
            fence = case when ${takes} then nextval('step_fence_seq') else s.fence end,
            lease_expires_at = case when ${takes} then now() + (s.timeout_ms + ${grace}) * interval '1 millisecond' else s.lease_expires_at end,
            started_at = case when ${takes} then coalesce(s.started_at, now()) else s.started_at end
          from jsonb_to_recordset(${JSON.stringify(meta)}::jsonb) as m(name text, total int, simple boolean)
          where s.run_id = ${run.id} and s.item_index = -1 and s.status = 'pending' and s.name = m.name
            and exists (select 1 from r)
          returning s.name, s.deps_remaining, s.deps_succeeded, s.deps_failed, s.status = 'running' as taken, s.status,
            s.id, s.run_id, s.item_index, s.kind, s.attempts, s.max_attempts, s.timeout_ms, s.fence, s.item, s.started_at, now() as claimed_at`;
  const [row] = await queryRows<{
    fenced: unknown;
    steps_remaining: unknown;
    run_status: string;
    dependents: (DependentRow & ClaimRow & { taken: boolean; status: string })[];
  }>(
    tx,
    sql`with u as (
          update steps set status = 'succeeded', output = ${json(values.output)}, input = ${json(values.input)}, error = null,
            finished_at = now(), lease_expires_at = null
          where id = ${step.id} and fence = ${step.fence} and status = 'running' returning id
        ), a as (
          insert into step_attempts (step_id, attempt, fence, outcome, error, started_at, finished_at, duration_ms)
          select u.id, ${step.attempt}, ${step.fence}, 'succeeded', null, ${step.claimedAt.toISOString()}::timestamptz,
                 ${values.finishedAt.toISOString()}::timestamptz, ${Math.max(0, values.finishedAt.getTime() - step.claimedAt.getTime())}
          from u
        ), r as (
          update runs set steps_remaining = steps_remaining - 1 where id = ${run.id} and exists (select 1 from u)
          returning steps_remaining, status
        ), d as (${dependentsUpdate}
        )
        select (select count(*) from u) as fenced, (select steps_remaining from r) as steps_remaining,
               (select status from r) as run_status, (select coalesce(jsonb_agg(to_jsonb(d)), '[]'::jsonb) from d) as dependents`,
  );
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

/** Succeeded attempts as rows for `jsonb_to_recordset`: the fenced step write and its attempt row. */
export function successRows(entries: { step: FencedAttempt; output: unknown; input: unknown; finishedAt: Date }[]) {
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
  const values = successRows(entries);
  const [row] = await queryRows<{ fenced: unknown[]; runs: { id: string; left: number; status: string }[] }>(
    tx,
    sql`with v as (
          select * from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(id bigint, fence bigint, attempt int, output jsonb,
            input jsonb, started_at timestamptz, finished_at timestamptz, duration_ms int)
        ), u as (
          update steps s set status = 'succeeded', output = v.output, input = v.input, error = null, finished_at = now(), lease_expires_at = null
          from v where s.id = v.id and s.fence = v.fence and s.status = 'running' returning s.id, s.run_id
        ), a as (
          insert into step_attempts (step_id, attempt, fence, outcome, error, started_at, finished_at, duration_ms)
          select v.id, v.attempt, v.fence, 'succeeded', null, v.started_at, v.finished_at, v.duration_ms from v join u on u.id = v.id
        ), c as (
          select run_id, count(*)::int as n from u group by run_id
        ), r as (
          update runs set steps_remaining = runs.steps_remaining - c.n from c where runs.id = c.run_id
          returning runs.id, runs.steps_remaining, runs.status
        )
        select (select coalesce(jsonb_agg(u.id), '[]'::jsonb) from u) as fenced,
               (select coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'left', r.steps_remaining, 'status', r.status)), '[]'::jsonb) from r) as runs`,
  );
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
    const rows = await queryRows<{ id: string }>(
      tx,
      sql`with v as (
            select * from jsonb_to_recordset(${JSON.stringify(runs)}::jsonb) as v(id uuid, sinks text[], top text[])
          ), o as (
            select v.id, bool_or(s.status = 'failed' and s.name = any(v.top)) as failed,
                   jsonb_object_agg(s.name, case when s.status = 'succeeded' then coalesce(s.output, 'null'::jsonb) else 'null'::jsonb end)
                     filter (where s.name = any(v.sinks)) as output
            from v join steps s on s.run_id = v.id and s.item_index = -1
            group by v.id
          )
          update runs set status = 'succeeded', output = coalesce(o.output, '{}'::jsonb), error = 'null'::jsonb, finished_at = now()
          from o where runs.id = o.id and not o.failed
          returning runs.id`,
    );
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
  const ok = status === "succeeded" ? 1 : 0;
  const bad = status === "failed" ? 1 : 0;
  const rows = await queryRows<DependentRow>(
    tx,
    sql`update steps set deps_remaining = deps_remaining - 1, deps_succeeded = deps_succeeded + ${ok}, deps_failed = deps_failed + ${bad}
        where run_id = ${run.id} and item_index = -1 and status = 'pending' and name = any(${sql.param(dependents)}::text[])
        returning name, deps_remaining, deps_succeeded, deps_failed`,
  );
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
  if (ready.length > 0 && !run.deferReady) {
    await tx.execute(sql`update steps set status = 'queued', ready_at = now()
      where run_id = ${run.id} and item_index = -1 and name = any(${sql.param(ready)}::text[])`);
  }
  if (skipped.length > 0) {
    await tx.execute(sql`update steps set status = 'skipped', finished_at = now()
      where run_id = ${run.id} and item_index = -1 and name = any(${sql.param(skipped.map((s) => s.name))}::text[])`);
  }
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
  const [parent] = await queryRows<{ items_remaining: unknown; deps_failed: unknown; status: string }>(
    tx,
    sql`update steps set items_remaining = items_remaining - ${count}, deps_failed = deps_failed + ${failed}
        where run_id = ${run.id} and name = ${name} and item_index = -1
        returning items_remaining, deps_failed, status`,
  );
  if (!parent || toNumber(parent.items_remaining) > 0 || parent.status !== "waiting") return [];
  if (toNumber(parent.deps_failed) > 0) {
    const parentError = {
      message: `${toNumber(parent.deps_failed)} item(s) of "${name}" failed`,
      cause: error ?? null,
    };
    await tx.execute(sql`update steps set status = 'failed', error = ${JSON.stringify(parentError)}::jsonb, finished_at = now()
      where run_id = ${run.id} and name = ${name} and item_index = -1`);
    return settleStep(tx, run, name, -1, "failed", parentError);
  }
  await tx.execute(sql`update steps p set status = 'succeeded', finished_at = now(),
      output = (select coalesce(jsonb_agg(i.output order by i.item_index), '[]'::jsonb) from steps i
                where i.run_id = p.run_id and i.name = p.name and i.item_index >= 0)
    where p.run_id = ${run.id} and p.name = ${name} and p.item_index = -1`);
  return settleStep(tx, run, name, -1, "succeeded");
}

/** Inserts the handlers of a failed step (each handler runs at most once per run). */
async function scheduleHandlers(tx: Db, run: RunRef, failedStep: string, error: unknown): Promise<number> {
  if (run.plan.isHandler(failedStep)) return 0; // a handler failed: no handlers of handlers
  let added = 0;
  for (const { step: handler } of run.plan.handlersFor(failedStep)) {
    const inserted = await queryRows<{ id: unknown }>(
      tx,
      sql`insert into steps (run_id, name, item_index, kind, status, priority, max_attempts, timeout_ms, ready_at, item)
          select ${run.id}, ${handler.name}, -1, ${handler.kind}, 'queued', r.priority, ${handler.retry.maxAttempts}, ${handler.timeoutMs}, now(),
                 ${JSON.stringify({ error: { step: failedStep, message: errorMessage(error) } })}::jsonb
          from runs r where r.id = ${run.id}
          on conflict (run_id, name, item_index) do nothing returning id`,
    );
    added += inserted.length;
  }
  return added;
}

export function errorMessage(error: unknown): string {
  if (error && typeof error === "object" && "message" in error) return String((error as { message: unknown }).message);
  return error === undefined || error === null ? "unknown error" : String(error);
}

/** The run's last step is final: succeeded unless a step failed; output rendered. */
async function finishRun(tx: Db, run: RunRef): Promise<void> {
  const rows = await queryRows<{ name: string; status: string; output: unknown; error: unknown }>(
    tx,
    sql`select name, status, output, error from steps where run_id = ${run.id} and item_index = -1`,
  );
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
  await tx.execute(sql`update runs set status = ${error ? "failed" : "succeeded"}, output = ${JSON.stringify(output)}::jsonb,
      error = ${JSON.stringify(error)}::jsonb, finished_at = now() where id = ${run.id}`);
  // Only workflows with a concurrency key hold runs back (one query saved per run otherwise).
  if (run.plan.definition.concurrency) await admitNextRun(tx, run.id);
}

async function runOutput(tx: Db, run: RunRef, outputs: Record<string, { output: unknown }>): Promise<unknown> {
  const def = run.plan.definition;
  if (def.output === undefined)
    return Object.fromEntries(run.plan.sinks.map((name) => [name, outputs[name]?.output ?? null]));
  const [r] = await queryRows<{ input: unknown; trigger: unknown; workflow: string; version: number }>(
    tx,
    sql`select input, trigger, workflow, version from runs where id = ${run.id}`,
  );
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
  const [finished] = await queryRows<{ workflow: string; concurrency_key: string | null }>(
    tx,
    sql`select workflow, concurrency_key from runs where id = ${finishedRunId}`,
  );
  if (!finished?.concurrency_key) return;
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtext(${`concurrency:${finished.workflow}:${finished.concurrency_key}`}))`,
  );
  const [next] = await queryRows<{ id: string }>(
    tx,
    sql`select id from runs where workflow = ${finished.workflow} and concurrency_key = ${finished.concurrency_key} and status = 'queued'
        order by priority desc, created_at limit 1 for update skip locked`,
  );
  if (!next) return;
  await tx.execute(sql`update runs set status = 'running', started_at = now() where id = ${next.id}`);
  // Its roots: pending with no dependency left (a step with dependencies starts above zero).
  await tx.execute(sql`update steps set status = 'queued', ready_at = now()
    where run_id = ${next.id} and item_index = -1 and status = 'pending' and deps_remaining = 0`);
}
