/**
 * Admission of runs with a concurrency key: at most `limit` of a workflow's runs with the same
 * key run at once; the others wait `queued` (start-runs.ts) until one ends.
 *
 * Every start and every end of such a run first takes the transaction-scoped advisory lock of
 * its (workflow, key), so "count the running ones, then insert" and "a run ended, admit the
 * next" never interleave. Taken after the ending run's own row (the completion holds it), which
 * is why a start must not hold this lock while waiting on a run's row (start-run.ts).
 * Index: `runs_concurrency_idx (workflow, concurrency_key, status) where concurrency_key is not
 * null`; the admitted run's roots by `steps_run_name_idx`.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";

export async function lockAdmission(tx: Db, workflow: string, key: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`concurrency:${workflow}:${key}`}))`);
}

export async function countRunning(tx: Db, workflow: string, key: string): Promise<number> {
  const [count] = await queryRows<{ n: unknown }>(
    tx,
    sql`select count(*)::int as n from runs where workflow = ${workflow} and concurrency_key = ${key} and status = 'running'`,
  );
  return Number(count?.n ?? 0);
}

/** The admission key of a run (null: it has none). */
export async function admissionKeyOf(
  tx: Db,
  runId: string,
): Promise<{ workflow: string; concurrency_key: string | null } | undefined> {
  const [run] = await queryRows<{ workflow: string; concurrency_key: string | null }>(
    tx,
    sql`select workflow, concurrency_key from runs where id = ${runId}`,
  );
  return run;
}

/**
 * Admits the oldest (by priority, then age) run waiting under this key, if any: it runs, and
 * its roots (pending with no dependency left) are queued. Under `lockAdmission`.
 */
export async function admitNext(tx: Db, workflow: string, key: string): Promise<void> {
  const [next] = await queryRows<{ id: string }>(
    tx,
    sql`select id from runs where workflow = ${workflow} and concurrency_key = ${key} and status = 'queued'
        order by priority desc, created_at limit 1 for update skip locked`,
  );
  if (!next) return;
  await tx.execute(sql`update runs set status = 'running', started_at = now() where id = ${next.id}`);
  // Its roots: pending with no dependency left (a step with dependencies starts above zero).
  await tx.execute(sql`update steps set status = 'queued', ready_at = now()
    where run_id = ${next.id} and item_index = -1 and status = 'pending' and deps_remaining = 0`);
}
