/**
 * Waking `wait_for_event` steps when an event is published (events.ts, in the publisher's
 * transaction): read the steps waiting on the topic since before the event, then, for each
 * whose `match` accepts it, take the event as the step's output with a write conditional on the
 * step still waiting on that topic (a concurrent publication or the timeout sweep may have
 * ended it first: then this write matches nothing and the event is not taken twice).
 *
 * Locks: the read takes none; each conditional write locks one step's row, in step id order.
 * Index: `steps_wait_topic_idx (wait_topic) where status = 'waiting' and wait_topic is not
 * null`; `steps_pkey` for the writes.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";

export interface WaitingRow {
  id: unknown;
  run_id: string;
  name: string;
  item_index: unknown;
  workflow: string;
  version: unknown;
  input: unknown;
  trigger: unknown;
}

/** Steps waiting on `topic` since no later than `since` (the event's creation), with their run. */
export function selectWaiting(tx: Db, topic: string, since: string): Promise<WaitingRow[]> {
  return queryRows<WaitingRow>(
    tx,
    sql`select s.id, s.run_id, s.name, s.item_index, r.workflow, r.version, r.input, r.trigger
        from steps s join runs r on r.id = s.run_id
        where s.status = 'waiting' and s.wait_topic = ${topic} and s.wait_since <= ${since}::timestamptz
        order by s.id`,
  );
}

/** The step takes `event` as its output if it still waits on `topic`; true when it did. */
export async function takeEvent(tx: Db, id: number, topic: string, event: unknown): Promise<boolean> {
  const updated = await queryRows<{ id: unknown }>(
    tx,
    sql`update steps set status = 'succeeded', output = ${JSON.stringify(event)}::jsonb, finished_at = now(), wait_topic = null
        where id = ${id} and status = 'waiting' and wait_topic = ${topic} returning id`,
  );
  return updated.length > 0;
}
