/**
 * Starting a run: one transaction inserts the run and one row per top-level step; steps with
 * no dependency are queued at once. An idempotency key returns the existing run instead of a
 * second one (unique index on (workflow, idempotency_key)). A run whose concurrency key is at
 * its limit is stored `queued` with nothing claimable until a slot frees (progress.ts).
 */
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { PRIORITIES, type Priority } from "@/db/schema";
import { renderTemplates } from "./definition";
import { planFor, type Plan } from "./plan";
import { getDefinition } from "./registry";

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

export async function startRun(db: Db, params: StartRunParams): Promise<StartedRun> {
  const registered = await getDefinition(db, params.workflow, params.version);
  const plan = planFor(registered.definition, registered.version);
  const def = registered.definition;
  const priority = PRIORITY_VALUE[params.priority ?? "normal"];
  const trigger = params.trigger ?? { type: "manual" };
  const input = params.input ?? null;
  const runId = randomUUID();
  let concurrencyKey: string | null = null;
  if (def.concurrency) {
    const key = renderTemplates(def.concurrency.key, { input, trigger, steps: {}, run: { id: runId, workflow: def.name, version: registered.version } });
    concurrencyKey = key === null || key === undefined ? null : typeof key === "string" ? key : JSON.stringify(key);
  }
  const insert = (target: Db, admitted: boolean) =>
    insertRun(target, { runId, registered: { name: def.name, version: registered.version }, plan, priority, input, trigger, concurrencyKey, idempotencyKey: params.idempotencyKey ?? null, admitted });
  if (concurrencyKey === null || !def.concurrency) return insert(db, true);
  const limit = def.concurrency.limit;
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`concurrency:${def.name}:${concurrencyKey}`}))`);
    const [row] = await queryRows<{ n: unknown }>(
      tx,
      sql`select count(*)::int as n from runs where workflow = ${def.name} and concurrency_key = ${concurrencyKey} and status = 'running'`,
    );
    return insert(tx, Number(row?.n ?? 0) < limit);
  });
}

interface InsertRunParams {
  runId: string;
  registered: { name: string; version: number };
  plan: Plan;
  priority: number;
  input: unknown;
  trigger: unknown;
  concurrencyKey: string | null;
  idempotencyKey: string | null;
  admitted: boolean;
}

/**
 * The run and all its top-level steps in ONE statement (atomic without a transaction: one
 * round trip and one commit per start). A repeated idempotency key inserts nothing and the
 * existing run is returned.
 */
async function insertRun(db: Db, p: InsertRunParams): Promise<StartedRun> {
  const def = p.plan.definition;
  const roots = new Set(p.plan.roots);
  const stepRows = def.steps.map((step) => {
    const parks = step.kind === "sleep" || step.kind === "wait_for_event";
    return {
      name: step.name,
      kind: step.kind,
      ready: p.admitted && roots.has(step.name),
      max_attempts: step.retry.maxAttempts,
      timeout_ms: parks ? PARKING_TIMEOUT_MS : step.timeoutMs,
      deps: step.dependsOn.length,
    };
  });
  const inserted = await queryRows<{ id: string }>(
    db,
    sql`with r as (
          insert into runs (id, workflow, version, status, priority, input, trigger, idempotency_key, concurrency_key, steps_remaining, started_at)
          values (${p.runId}, ${p.registered.name}, ${p.registered.version}, ${p.admitted ? "running" : "queued"}, ${p.priority},
                  ${JSON.stringify(p.input)}::jsonb, ${JSON.stringify(p.trigger)}::jsonb, ${p.idempotencyKey}, ${p.concurrencyKey},
                  ${def.steps.length}, ${p.admitted ? sql`now()` : null})
          on conflict (workflow, idempotency_key) do nothing returning id
        ), s as (
          insert into steps (run_id, name, kind, status, priority, max_attempts, timeout_ms, deps_remaining, ready_at)
          select r.id, v.name, v.kind, case when v.ready then 'queued' else 'pending' end, ${p.priority}, v.max_attempts, v.timeout_ms,
                 v.deps, case when v.ready then now() end
          from r, jsonb_to_recordset(${JSON.stringify(stepRows)}::jsonb) as v(name text, kind text, ready boolean, max_attempts int, timeout_ms int, deps int)
        )
        select id from r`,
  );
  if (inserted.length > 0) return { id: p.runId, created: true };
  const [existing] = await queryRows<{ id: string }>(
    db,
    sql`select id from runs where workflow = ${p.registered.name} and idempotency_key = ${p.idempotencyKey}`,
  );
  return { id: existing!.id, created: false };
}
