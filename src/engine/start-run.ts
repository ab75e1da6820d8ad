/**
 * Starting a run: one transaction inserts the run and one row per top-level step; steps with
 * no dependency are queued at once. An idempotency key returns the existing run instead of a
 * second one (unique index on (workflow, idempotency_key)). A run whose concurrency key is at
 * its limit is stored `queued` with nothing claimable until a slot frees (progress.ts).
 */
import { randomUUID } from "node:crypto";
import type { Db } from "@/db/client";
import { PRIORITIES, type Priority } from "@/db/schema";
import { renderTemplates } from "./definition";
import { retryOnConflict } from "./conflict";
import { planFor, type Plan } from "./plan";
import { getDefinition } from "./registry";
import { countRunning, lockAdmission } from "./sql/admission";
import { findRunByKey, findRunsByKeys, insertRuns, type RunToInsert } from "./sql/start-runs";

export const PRIORITY_VALUE: Record<Priority, number> = { low: 0, normal: 1, high: 2, critical: 3 };
export function priorityName(value: number): Priority {
  return PRIORITIES[value] ?? "normal";
}

/** Steps that only park (sleep, wait) take no time to claim; their timeout is not a budget. */
const PARKING_TIMEOUT_MS = 100;

export interface StartRunParams {
  workflow: string;
  /** Latest when omitted. */
  version?: number;
  input?: unknown;
  idempotencyKey?: string | null;
  priority?: Priority;
  trigger?: Record<string, unknown>;
}

export interface StartedRun {
  id: string;
  created: boolean;
}

/** One run of a bulk start: `startRuns` takes up to this many at once. */
export interface RunToStart {
  input?: unknown;
  idempotencyKey?: string | null;
  priority?: Priority;
}
export const MAX_BULK_RUNS = 1_000;

export async function startRun(db: Db, params: StartRunParams): Promise<StartedRun> {
  const registered = await getDefinition(db, params.workflow, params.version);
  const plan = planFor(registered.definition, registered.version);
  const def = registered.definition;
  const trigger = params.trigger ?? { type: "manual" };
  const input = params.input ?? null;
  const runId = randomUUID();
  const row = (admitted: boolean, concurrencyKey: string | null): RunToInsert => ({
    id: runId,
    priority: PRIORITY_VALUE[params.priority ?? "normal"],
    input,
    trigger,
    idempotency_key: params.idempotencyKey ?? null,
    concurrency_key: concurrencyKey,
    admitted,
  });
  let concurrencyKey: string | null = null;
  if (def.concurrency) {
    const key = renderTemplates(def.concurrency.key, {
      input,
      trigger,
      steps: {},
      run: { id: runId, workflow: def.name, version: registered.version },
    });
    concurrencyKey = key === null || key === undefined ? null : typeof key === "string" ? key : JSON.stringify(key);
  }
  if (concurrencyKey === null || !def.concurrency) return (await startInserted(db, plan, [row(true, null)]))[0]!;
  const limit = def.concurrency.limit;
  const key = concurrencyKey;
  // A repeated idempotency key (a cron instant every tick retries, an event replayed) returns the
  // run without taking the admission lock. Taking it first could deadlock: the run's own
  // completion holds its row and waits for that lock (admitNextRun), while the insert below waits
  // for the completion to know whether the conflicting row lives. A race past this check ends as
  // a deadlock victim, which is run again and then finds the run here.
  return retryOnConflict(async () => {
    if (params.idempotencyKey) {
      const existing = await findRunByKey(db, def.name, params.idempotencyKey);
      if (existing) return { id: existing, created: false };
    }
    return db.transaction(async (tx) => {
      await lockAdmission(tx, def.name, key);
      const running = await countRunning(tx, def.name, key);
      return (await startInserted(tx, plan, [row(running < limit, key)]))[0]!;
    });
  });
}

/**
 * Starts many runs of one workflow (same version) in ONE statement: one round trip and one
 * commit for the whole list, which is what a producer of many runs (an import, a backfill, a
 * fan-out from outside) wants. Results are in the order given; a repeated idempotency key,
 * in the list or already stored, returns the existing run with `created: false`. A workflow
 * with a concurrency key is started run by run, since each start must count the running ones.
 */
export async function startRuns(
  db: Db,
  params: { workflow: string; version?: number; trigger?: Record<string, unknown>; runs: RunToStart[] },
): Promise<StartedRun[]> {
  if (params.runs.length > MAX_BULK_RUNS) throw new RangeError(`at most ${MAX_BULK_RUNS} runs per bulk start`);
  const registered = await getDefinition(db, params.workflow, params.version);
  if (params.runs.length === 0) return [];
  if (registered.definition.concurrency) {
    const started: StartedRun[] = [];
    for (const run of params.runs)
      started.push(
        await startRun(db, { ...run, workflow: params.workflow, version: registered.version, trigger: params.trigger }),
      );
    return started;
  }
  const trigger = params.trigger ?? { type: "manual" };
  const rows = params.runs.map((run) => ({
    id: randomUUID(),
    priority: PRIORITY_VALUE[run.priority ?? "normal"],
    input: run.input ?? null,
    trigger,
    idempotency_key: run.idempotencyKey ?? null,
    concurrency_key: null,
    admitted: true,
  }));
  return startInserted(db, planFor(registered.definition, registered.version), rows);
}

/**
 * The runs and all their top-level steps in ONE statement (sql/start-runs.ts). A repeated
 * idempotency key inserts nothing and the existing run is returned.
 */
async function startInserted(db: Db, plan: Plan, runs: RunToInsert[]): Promise<StartedRun[]> {
  const def = plan.definition;
  const roots = new Set(plan.roots);
  const stepRows = def.steps.map((step) => {
    const parks = step.kind === "sleep" || step.kind === "wait_for_event";
    return {
      name: step.name,
      kind: step.kind,
      root: roots.has(step.name),
      max_attempts: step.retry.maxAttempts,
      timeout_ms: parks ? PARKING_TIMEOUT_MS : step.timeoutMs,
      deps: step.dependsOn.length,
    };
  });
  const created = await insertRuns(db, { name: def.name, version: plan.version }, runs, stepRows);
  const keys = runs.filter((r) => !created.has(r.id)).map((r) => r.idempotency_key!);
  const existing = new Map<string, string>();
  if (keys.length > 0) {
    for (const row of await findRunsByKeys(db, def.name, keys)) existing.set(row.idempotency_key, row.id);
  }
  return runs.map((r) =>
    created.has(r.id) ? { id: r.id, created: true } : { id: existing.get(r.idempotency_key!)!, created: false },
  );
}
