/**
 * The tick's reads of the runs it is about to run steps of: the runs' rows and the outputs of
 * their succeeded top-level steps (what templates read as `steps.<name>.output`). Two
 * statements per claimed batch, whatever its size; a run's outputs alone are read again when
 * a successor needs one its context lacks (a for_each parent's output is assembled in SQL).
 * No locks (plain reads). Indexes: `runs_pkey`; `steps_run_name_idx (run_id, name, item_index)`
 * by its leading `run_id`.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";

export interface RunRow {
  id: string;
  workflow: string;
  version: unknown;
  status: string;
  input: unknown;
  trigger: unknown;
}

export function selectRuns(db: Db, ids: string[]): Promise<RunRow[]> {
  return queryRows<RunRow>(
    db,
    sql`select id, workflow, version, status, input, trigger from runs where id = any(${sql.param(ids)}::uuid[])`,
  );
}

export function selectOutputs(db: Db, ids: string[]): Promise<{ run_id: string; name: string; output: unknown }[]> {
  return queryRows<{ run_id: string; name: string; output: unknown }>(
    db,
    sql`select run_id, name, output from steps where run_id = any(${sql.param(ids)}::uuid[]) and item_index = -1 and status = 'succeeded'`,
  );
}

/** One run's outputs (a successor's refresh, an event wait's `match`). */
export function selectRunOutputs(db: Db, runId: string): Promise<{ name: string; output: unknown }[]> {
  return queryRows<{ name: string; output: unknown }>(
    db,
    sql`select name, output from steps where run_id = ${runId} and item_index = -1 and status = 'succeeded'`,
  );
}
