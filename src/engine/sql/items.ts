/**
 * The rows of a for_each step: its items are inserted when the parent expands, and the
 * parent's row counts them as they finish (`items_remaining`, `deps_failed` for the failed).
 * When the last one finishes, the parent fails (an item failed) or succeeds with the items'
 * outputs in order.
 *
 * Every item's completion updates its parent's row, so items serialise on that row lock until
 * commit: complete.ts records the items that finish together in one batch, one decrement.
 * Index: `steps_run_name_idx (run_id, name, item_index)`: the parent is `item_index = -1`, its
 * items `>= 0`, both under the same `(run_id, name)`.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";

/** One queued row per item, copied from the parent's kind, priority, attempts and timeout. */
export async function insertItems(tx: Db, parentId: number, items: unknown[]): Promise<void> {
  await tx.execute(sql`insert into steps (run_id, name, item_index, kind, status, priority, max_attempts, timeout_ms, ready_at, item)
    select p.run_id, p.name, i.ord - 1, p.kind, 'queued', p.priority, p.max_attempts, p.timeout_ms, now(), jsonb_build_object('item', i.value)
    from steps p, jsonb_array_elements(${JSON.stringify(items ?? null)}::jsonb) with ordinality as i(value, ord)
    where p.id = ${parentId}`);
}

/** `count` items finished, `failed` of them not successfully: the parent's counters after. */
export async function countItems(
  tx: Db,
  runId: string,
  name: string,
  count: number,
  failed: number,
): Promise<{ items_remaining: unknown; deps_failed: unknown; status: string } | undefined> {
  const [parent] = await queryRows<{ items_remaining: unknown; deps_failed: unknown; status: string }>(
    tx,
    sql`update steps set items_remaining = items_remaining - ${count}, deps_failed = deps_failed + ${failed}
        where run_id = ${runId} and name = ${name} and item_index = -1
        returning items_remaining, deps_failed, status`,
  );
  return parent;
}

export async function failParent(tx: Db, runId: string, name: string, error: unknown): Promise<void> {
  await tx.execute(sql`update steps set status = 'failed', error = ${JSON.stringify(error)}::jsonb, finished_at = now()
    where run_id = ${runId} and name = ${name} and item_index = -1`);
}

/** The parent succeeds; its output is its items' outputs, in item order. */
export async function collectItems(tx: Db, runId: string, name: string): Promise<void> {
  await tx.execute(sql`update steps p set status = 'succeeded', finished_at = now(),
      output = (select coalesce(jsonb_agg(i.output order by i.item_index), '[]'::jsonb) from steps i
                where i.run_id = p.run_id and i.name = p.name and i.item_index >= 0)
    where p.run_id = ${runId} and p.name = ${name} and p.item_index = -1`);
}
