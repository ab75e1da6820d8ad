/**
 * Starting runs: the runs and all their top-level steps in ONE statement (atomic without a
 * transaction: one round trip and one commit however many runs). Roots of an admitted run are
 * queued; every other step is pending with its `deps_remaining` counter; a run held back by
 * its concurrency limit is `queued` with nothing claimable (admission.ts admits it later).
 *
 * A repeated idempotency key inserts nothing (`on conflict do nothing` on the unique
 * `runs_idempotency_idx (workflow, idempotency_key)`, whose row lock makes a concurrent second
 * start wait for the first to commit) and `findRunsByKeys` returns the existing run. The steps
 * are inserted only for the runs inserted (`from r`); `steps_run_name_idx` is their unique key.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";

export interface RunToInsert {
  id: string;
  priority: number;
  input: unknown;
  trigger: unknown;
  idempotency_key: string | null;
  concurrency_key: string | null;
  /** False: held back by the concurrency limit (`queued`, no step claimable). */
  admitted: boolean;
}

export interface StepToInsert {
  name: string;
  kind: string;
  /** No dependency: queued at once when its run is admitted. */
  root: boolean;
  max_attempts: number;
  timeout_ms: number;
  /** Its number of dependencies (`deps_remaining`). */
  deps: number;
}

/** Inserts the runs, in the order given, and their steps; returns the ids of the runs inserted. */
export async function insertRuns(
  db: Db,
  workflow: { name: string; version: number },
  runs: RunToInsert[],
  steps: StepToInsert[],
): Promise<Set<string>> {
  const runRows = runs.map((r, ord) => ({ ...r, ord, input: r.input ?? null }));
  const inserted = await queryRows<{ id: string }>(
    db,
    sql`with v as (
          select * from jsonb_to_recordset(${JSON.stringify(runRows)}::jsonb)
            as v(ord int, id uuid, priority int, input jsonb, trigger jsonb, idempotency_key text, concurrency_key text, admitted boolean)
        ), r as (
          insert into runs (id, workflow, version, status, priority, input, trigger, idempotency_key, concurrency_key, steps_remaining, started_at)
          select v.id, ${workflow.name}, ${workflow.version}, case when v.admitted then 'running' else 'queued' end, v.priority, v.input, v.trigger,
                 v.idempotency_key, v.concurrency_key, ${steps.length}, case when v.admitted then now() end
          from v order by v.ord
          on conflict (workflow, idempotency_key) do nothing returning id
        ), s as (
          insert into steps (run_id, name, kind, status, priority, max_attempts, timeout_ms, deps_remaining, ready_at)
          select r.id, t.name, t.kind, case when t.root and v.admitted then 'queued' else 'pending' end, v.priority, t.max_attempts,
                 t.timeout_ms, t.deps, case when t.root and v.admitted then now() end
          from r join v on v.id = r.id,
               jsonb_to_recordset(${JSON.stringify(steps)}::jsonb) as t(name text, kind text, root boolean, max_attempts int, timeout_ms int, deps int)
        )
        select id from r`,
  );
  return new Set(inserted.map((r) => r.id));
}

/** The runs of `workflow` already started under these idempotency keys (`runs_idempotency_idx`). */
export function findRunsByKeys(
  db: Db,
  workflow: string,
  keys: string[],
): Promise<{ id: string; idempotency_key: string }[]> {
  return queryRows<{ id: string; idempotency_key: string }>(
    db,
    sql`select id, idempotency_key from runs where workflow = ${workflow} and idempotency_key = any(${sql.param(keys)}::text[])`,
  );
}

/** The run of `workflow` already started under this idempotency key, if any (`runs_idempotency_idx`). */
export async function findRunByKey(db: Db, workflow: string, key: string): Promise<string | undefined> {
  const [existing] = await queryRows<{ id: string }>(
    db,
    sql`select id from runs where workflow = ${workflow} and idempotency_key = ${key}`,
  );
  return existing?.id;
}
