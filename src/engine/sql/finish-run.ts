/**
 * Ending a run one at a time, when its last step became final (progress.ts `finishRun`; the
 * set-based end of many default-output runs is settle-sinks.ts `endDefaultRuns`): read its
 * top-level steps (which failed, the outputs), read its input and trigger when an `output`
 * template needs them, write its final state.
 *
 * Locks: the run's row, already held by the settling transaction (it just moved the run's
 * counter). Indexes: `steps_run_name_idx (run_id, name, item_index)` by `run_id`, `runs_pkey`.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";

export function selectTopLevelSteps(
  tx: Db,
  runId: string,
): Promise<{ name: string; status: string; output: unknown; error: unknown }[]> {
  return queryRows<{ name: string; status: string; output: unknown; error: unknown }>(
    tx,
    sql`select name, status, output, error from steps where run_id = ${runId} and item_index = -1`,
  );
}

/** What an `output` template reads of its run. */
export async function selectRunScope(
  tx: Db,
  runId: string,
): Promise<{ input: unknown; trigger: unknown; workflow: string; version: number } | undefined> {
  const [row] = await queryRows<{ input: unknown; trigger: unknown; workflow: string; version: number }>(
    tx,
    sql`select input, trigger, workflow, version from runs where id = ${runId}`,
  );
  return row;
}

export async function endRun(tx: Db, runId: string, output: unknown, error: unknown): Promise<void> {
  await tx.execute(sql`update runs set status = ${error ? "failed" : "succeeded"}, output = ${JSON.stringify(output)}::jsonb,
      error = ${JSON.stringify(error)}::jsonb, finished_at = now() where id = ${runId}`);
}
