/**
 * Locking runs' rows before their steps' dependents: the engine's lock order for top-level
 * settlement is the run's row, then any dependent's row (settle-succeeded.ts takes the run's row
 * inside its statement in the same order). Many runs are locked in id order, so two batches
 * touching the same runs queue instead of deadlocking. Index: `runs_pkey`.
 */
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";

export async function lockRun(tx: Db, runId: string): Promise<void> {
  await tx.execute(sql`select 1 from runs where id = ${runId} for update`);
}

export async function lockRuns(tx: Db, runIds: string[]): Promise<void> {
  await tx.execute(sql`select id from runs where id = any(${sql.param(runIds)}::uuid[]) order by id for update`);
}
