/** Reading runs, and the operator's actions on them: cancel and retry. */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import type { RunStatus } from "@/db/schema";
import { ConflictError, NotFoundError } from "@/errors";
import { retryOnConflict } from "./conflict";
import { admitNextRun, decide } from "./progress";
import { getPlan } from "./registry";
import { toIso, toNumber } from "@/db/rows";
import { priorityName } from "./start-run";

export interface AttemptView {
  attempt: number;
  outcome: string;
  error: unknown;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number;
}

export interface StepView {
  name: string;
  kind: string;
  status: string;
  attempts: number;
  input: unknown;
  output: unknown;
  error: unknown;
  progress: unknown;
  startedAt: string | null;
  finishedAt: string | null;
  history: AttemptView[];
  /** for_each items, in order. */
  items?: Omit<StepView, "items">[];
}

export interface RunView {
  id: string;
  workflow: string;
  version: number;
  status: RunStatus;
  priority: string;
  input: unknown;
  output: unknown;
  error: unknown;
  trigger: unknown;
  idempotencyKey: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  steps: StepView[];
}

export class RunNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`No run has the id ${id}.`);
  }
}

type RunRow = {
  id: string;
  workflow: string;
  version: unknown;
  status: RunStatus;
  priority: unknown;
  input: unknown;
  output: unknown;
  error: unknown;
  trigger: unknown;
  idempotency_key: string | null;
  created_at: unknown;
  started_at: unknown;
  finished_at: unknown;
  waiting: boolean;
  cursor_at: string;
};

/** `waiting` is derived: a running run whose only unfinished steps are waiting. */
const RUN_COLUMNS = sql`r.id, r.workflow, r.version, r.status, r.priority, r.input, r.output, r.error, r.trigger, r.idempotency_key,
  r.created_at, r.started_at, r.finished_at,
  to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at,
  (r.status = 'running' and exists (select 1 from steps w where w.run_id = r.id and w.status = 'waiting' and w.ready_at is not null)
     and not exists (select 1 from steps q where q.run_id = r.id and q.status in ('queued', 'running'))) as waiting`;

function runHead(r: RunRow): Omit<RunView, "steps"> {
  return {
    id: r.id,
    workflow: r.workflow,
    version: toNumber(r.version),
    status: r.waiting ? "waiting" : r.status,
    priority: priorityName(toNumber(r.priority)),
    input: r.input,
    output: r.output,
    error: r.error,
    trigger: r.trigger,
    idempotencyKey: r.idempotency_key,
    createdAt: toIso(r.created_at)!,
    startedAt: toIso(r.started_at),
    finishedAt: toIso(r.finished_at),
  };
}

export async function getRun(db: Db, id: string): Promise<RunView> {
  const [run] = await queryRows<RunRow>(db, sql`select ${RUN_COLUMNS} from runs r where r.id = ${id}`);
  if (!run) throw new RunNotFoundError(id);
  const steps = await queryRows<{
    id: unknown;
    name: string;
    item_index: unknown;
    kind: string;
    status: string;
    attempts: unknown;
    input: unknown;
    output: unknown;
    error: unknown;
    progress: unknown;
    started_at: unknown;
    finished_at: unknown;
  }>(
    db,
    sql`select id, name, item_index, kind, status, attempts, input, output, error, progress, started_at, finished_at
        from steps where run_id = ${id} order by id`,
  );
  const attempts = await queryRows<{
    step_id: unknown;
    attempt: unknown;
    outcome: string;
    error: unknown;
    started_at: unknown;
    finished_at: unknown;
    duration_ms: unknown;
  }>(
    db,
    sql`select a.step_id, a.attempt, a.outcome, a.error, a.started_at, a.finished_at, a.duration_ms
        from step_attempts a join steps s on s.id = a.step_id where s.run_id = ${id} order by a.id`,
  );
  const history = new Map<number, AttemptView[]>();
  for (const a of attempts) {
    const list = history.get(toNumber(a.step_id)) ?? [];
    list.push({
      attempt: toNumber(a.attempt),
      outcome: a.outcome,
      error: a.error,
      startedAt: toIso(a.started_at),
      finishedAt: toIso(a.finished_at),
      durationMs: toNumber(a.duration_ms),
    });
    history.set(toNumber(a.step_id), list);
  }
  const views: StepView[] = [];
  const byName = new Map<string, StepView>();
  for (const s of steps) {
    const view: StepView = {
      name: s.name,
      kind: s.kind,
      status: s.status,
      attempts: toNumber(s.attempts),
      input: s.input,
      output: s.output,
      error: s.error,
      progress: s.progress,
      startedAt: toIso(s.started_at),
      finishedAt: toIso(s.finished_at),
      history: history.get(toNumber(s.id)) ?? [],
    };
    if (toNumber(s.item_index) < 0) {
      views.push(view);
      byName.set(s.name, view);
    } else {
      const parent = byName.get(s.name);
      if (parent) (parent.items ??= []).push(view);
    }
  }
  return { ...runHead(run), steps: views };
}

export interface ListRunsParams {
  workflow?: string;
  status?: RunStatus;
  limit: number;
  cursor?: { createdAt: string; id: string };
}

export async function listRuns(
  db: Db,
  params: ListRunsParams,
): Promise<{ runs: Omit<RunView, "steps">[]; nextCursor: string | null }> {
  const c = params.cursor;
  const status = params.status === "waiting" ? "running" : params.status;
  const rows = await queryRows<RunRow>(
    db,
    sql`select ${RUN_COLUMNS} from runs r
        where (${params.workflow ?? null}::text is null or r.workflow = ${params.workflow ?? null})
          and (${status ?? null}::text is null or r.status = ${status ?? null})
          and (${c?.createdAt ?? null}::timestamptz is null or (r.created_at, r.id) < (${c?.createdAt ?? null}::timestamptz, ${c?.id ?? null}::uuid))
        order by r.created_at desc, r.id desc limit ${params.limit + 1}`,
  );
  let page = rows.slice(0, params.limit).map(runHead);
  if (params.status === "waiting") page = page.filter((r) => r.status === "waiting");
  else if (params.status === "running") page = page.filter((r) => r.status === "running");
  const last = rows[Math.min(rows.length, params.limit) - 1];
  return { runs: page, nextCursor: rows.length > params.limit && last ? `${last.cursor_at}|${last.id}` : null };
}

const FINAL = new Set(["succeeded", "failed", "cancelled"]);

/**
 * Operator actions lock the run row, then its steps; a completing worker locks a step, then the
 * run row. Postgres breaks such a deadlock by aborting one side (SQLSTATE 40P01); the operator's
 * side simply tries again (conflict.ts; the worker's side is retried the same way).
 */
/** Pending, queued, waiting and running steps become cancelled; late results are discarded. */
export async function cancelRun(db: Db, id: string): Promise<RunView> {
  await retryOnConflict(() =>
    db.transaction(async (tx) => {
      const [run] = await queryRows<{ status: string }>(tx, sql`select status from runs where id = ${id} for update`);
      if (!run) throw new RunNotFoundError(id);
      if (FINAL.has(run.status)) throw new ConflictError(`The run is already ${run.status}.`, { status: run.status });
      await tx.execute(sql`update steps set status = 'cancelled', lease_expires_at = null, wait_topic = null, finished_at = now()
      where run_id = ${id} and status in ('pending', 'queued', 'waiting', 'running')`);
      await tx.execute(
        sql`update runs set status = 'cancelled', finished_at = now(), steps_remaining = 0 where id = ${id}`,
      );
      await admitNextRun(tx, id);
    }),
  );
  return getRun(db, id);
}

/**
 * Retry a failed run from where it failed: failed steps and the steps skipped because of them
 * go back to the queue (or to pending behind their dependencies); succeeded steps keep their
 * outputs. The counters are recomputed from the steps' states.
 */
export async function retryRun(db: Db, id: string): Promise<RunView> {
  await retryOnConflict(() =>
    db.transaction(async (tx) => {
      const [run] = await queryRows<{ status: string; workflow: string; version: unknown }>(
        tx,
        sql`select status, workflow, version from runs where id = ${id} for update`,
      );
      if (!run) throw new RunNotFoundError(id);
      if (run.status !== "failed")
        throw new ConflictError(`Only a failed run can be retried; this one is ${run.status}.`, { status: run.status });
      const plan = await getPlan(tx, run.workflow, toNumber(run.version));
      const rows = await queryRows<{ name: string; status: string }>(
        tx,
        sql`select name, status from steps where run_id = ${id} and item_index = -1`,
      );
      const status = new Map(rows.map((r) => [r.name, r.status]));
      // Error handlers ran for the failure being retried; they may run again if it fails again.
      const handlers = plan.definition.errorHandlers.map((h) => h.step.name);
      if (handlers.length > 0)
        await tx.execute(sql`delete from steps where run_id = ${id} and name = any(${sql.param(handlers)}::text[])`);
      const reset = plan.definition.steps.filter((s) => status.get(s.name) !== "succeeded");
      // A for_each step that did not succeed runs all its items again.
      await tx.execute(
        sql`delete from steps where run_id = ${id} and item_index >= 0 and name = any(${sql.param(reset.map((s) => s.name))}::text[])`,
      );
      for (const step of reset) {
        const deps = step.dependsOn.map((d) => status.get(d));
        const succeededDeps = deps.filter((s) => s === "succeeded").length;
        const pendingDeps = deps.length - succeededDeps;
        const decision = decide(step.triggerRule, deps.length, pendingDeps, succeededDeps);
        const ready = decision === "ready";
        await tx.execute(sql`update steps set status = ${ready ? "queued" : "pending"}, ready_at = ${ready ? sql`now()` : null},
        attempts = 0, error = null, output = null, finished_at = null, items_remaining = null,
        deps_remaining = ${pendingDeps}, deps_succeeded = ${succeededDeps}, deps_failed = 0
        where run_id = ${id} and name = ${step.name} and item_index = -1`);
      }
      await tx.execute(sql`update runs set status = 'running', error = null, output = null, finished_at = null, steps_remaining = ${reset.length}
      where id = ${id}`);
    }),
  );
  return getRun(db, id);
}
