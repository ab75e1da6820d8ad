/**
 * The hot path of a successful top-level step, in one statement: the fenced write (u), its
 * attempt row (a), the run's counter (r) and its dependents' counters (d); an all_success
 * dependent whose last dependency this was is claimed by the same statement when its timeout
 * fits (claim.ts `claimSet`, under `case`), else queued. Nothing happens beyond u when the
 * attempt was superseded (`exists (select 1 from u)`). progress.ts `settleSucceededTopLevel`
 * decides what the returned dependents' counters mean.
 *
 * Lock order: the step's own row (u), then the run's row (r), then the dependents' rows (d reads
 * r, so r runs first). Two siblings finishing at once into the same join therefore queue on the
 * run's row before either touches the join's row; with d before r, one could lock the join and
 * the other the run, and Postgres would abort one of them (a deadlock, seen on CI).
 * Indexes: `steps_pkey` (u), `runs_pkey` (r), `steps_run_name_idx (run_id, name, item_index)` (d).
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { insertAttemptFrom, type FencedAttempt } from "./attempts";
import { CLAIM_RETURNING, claimSet, type ClaimRow } from "./claim";
import { fencedUpdate, outcomeSet } from "./fenced-write";

/** A dependent of the step: its name, its number of dependencies, and whether its rule is all_success. */
export interface DependentMeta {
  name: string;
  total: number;
  simple: boolean;
}

export interface SettledDependent extends ClaimRow {
  deps_remaining: unknown;
  deps_succeeded: unknown;
  deps_failed: unknown;
  /** Claimed by this statement (now `running`). */
  taken: boolean;
  status: string;
}

export interface SettledSuccess {
  fenced: unknown;
  steps_remaining: unknown;
  run_status: string;
  dependents: SettledDependent[];
}

export async function settleSucceeded(
  tx: Db,
  runId: string,
  step: FencedAttempt,
  values: { output: unknown; input: unknown; finishedAt: Date },
  dependents: DependentMeta[],
  claim?: { maxTimeoutMs: number; leaseGraceMs: number },
): Promise<SettledSuccess | undefined> {
  const maxTimeout = claim ? Math.floor(Math.min(claim.maxTimeoutMs, 2 ** 31 - 1)) : -1;
  const lastDep = sql`(m.simple and s.deps_remaining = 1 and s.deps_failed = 0 and s.deps_succeeded + 1 = m.total)`;
  const takes = sql`(${lastDep} and s.timeout_ms <= ${maxTimeout})`;
  // A step nothing depends on (every one-step run) skips the dependents' update entirely.
  const dependentsUpdate =
    dependents.length === 0
      ? sql`select null::text as name where false`
      : sql`
          update steps s set deps_remaining = s.deps_remaining - 1, deps_succeeded = s.deps_succeeded + 1,
            status = case when ${takes} then 'running' when ${lastDep} then 'queued' else s.status end,
            ready_at = case when ${lastDep} and not ${takes} then now() else s.ready_at end,
            ${claimSet(claim?.leaseGraceMs ?? 0, takes)}
          from jsonb_to_recordset(${JSON.stringify(dependents)}::jsonb) as m(name text, total int, simple boolean)
          where s.run_id = ${runId} and s.item_index = -1 and s.status = 'pending' and s.name = m.name
            and exists (select 1 from r)
          returning s.deps_remaining, s.deps_succeeded, s.deps_failed, s.status = 'running' as taken, s.status, ${CLAIM_RETURNING}`;
  const [row] = await queryRows<SettledSuccess>(
    tx,
    sql`with u as (${fencedUpdate(step, outcomeSet.succeeded(values.output, values.input))}
        ), a as (${insertAttemptFrom("u", step, "succeeded", undefined, values.finishedAt)}
        ), r as (
          update runs set steps_remaining = steps_remaining - 1 where id = ${runId} and exists (select 1 from u)
          returning steps_remaining, status
        ), d as (${dependentsUpdate}
        )
        select (select count(*) from u) as fenced, (select steps_remaining from r) as steps_remaining,
               (select status from r) as run_status, (select coalesce(jsonb_agg(to_jsonb(d)), '[]'::jsonb) from d) as dependents`,
  );
  return row;
}
