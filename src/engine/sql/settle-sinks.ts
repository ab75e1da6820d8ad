/**
 * Settling succeeded top-level steps that nothing depends on, for many runs at once, in two
 * statements whatever the batch's size (complete.ts `completeTopLevelBatch`, progress.ts
 * `settleSinks`):
 * - `recordSinkSuccesses`: the fenced writes, their attempt rows and the runs' counters;
 * - `endDefaultRuns`: ends the runs this finished whose output is the default one (the sinks'
 *   outputs by name) and where no top-level step failed.
 *
 * Locks: the caller holds the runs' rows already (lock-runs.ts, in id order), so the counters'
 * update waits on nothing; the steps' rows are the attempts' own.
 * Indexes: `steps_pkey` (the fenced writes), `runs_pkey`, `steps_run_name_idx (run_id, name,
 * item_index)` (a run's top-level steps, `endDefaultRuns`).
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { fencedSuccesses, type Success } from "./fenced-write";

export interface RecordedSinks {
  /** The steps whose attempt still owned them. */
  fenced: unknown[];
  /** Every run counted, with the steps it has left. */
  runs: { id: string; left: number; status: string }[];
}

export async function recordSinkSuccesses(tx: Db, entries: Success[]): Promise<RecordedSinks | undefined> {
  const [row] = await queryRows<RecordedSinks>(
    tx,
    sql`with ${fencedSuccesses(entries)}, c as (
          select run_id, count(*)::int as n from u group by run_id
        ), r as (
          update runs set steps_remaining = runs.steps_remaining - c.n from c where runs.id = c.run_id
          returning runs.id, runs.steps_remaining, runs.status
        )
        select (select coalesce(jsonb_agg(u.id), '[]'::jsonb) from u) as fenced,
               (select coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'left', r.steps_remaining, 'status', r.status)), '[]'::jsonb) from r) as runs`,
  );
  return row;
}

/** Ends the given runs (all their steps final) as succeeded unless a top-level step failed; returns those it ended. */
export async function endDefaultRuns(
  tx: Db,
  runs: { id: string; sinks: string[]; top: string[] }[],
): Promise<{ id: string }[]> {
  return queryRows<{ id: string }>(
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
}
