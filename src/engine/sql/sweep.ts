/**
 * The sweep's statements (sweep.ts): expired leases and due waits, each batch read and locked
 * with `FOR UPDATE OF s SKIP LOCKED`, so concurrent ticks split the work instead of repeating
 * it or waiting on each other (the runs' rows are read, not locked). The writes that follow
 * touch only the rows the batch holds.
 * Indexes: `steps_lease_idx (lease_expires_at) where status = 'running'`, `steps_due_idx
 * (ready_at) where status = 'waiting'` (each read in its own order, so a batch stops at `limit`),
 * `steps_pkey` for the writes.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";

export interface SweptRow {
  id: unknown;
  run_id: string;
  name: string;
  item_index: unknown;
  kind: string;
  attempts: unknown;
  max_attempts: unknown;
  fence: unknown;
  workflow: string;
  version: unknown;
  lease_expires_at?: unknown;
}

/** Running steps whose lease has expired, oldest first. */
export function lockExpiredLeases(tx: Db, limit: number): Promise<SweptRow[]> {
  return queryRows<SweptRow>(
    tx,
    sql`select s.id, s.run_id, s.name, s.item_index, s.kind, s.attempts, s.max_attempts, s.fence, s.started_at, r.workflow, r.version,
               s.lease_expires_at
        from steps s join runs r on r.id = s.run_id
        where s.status = 'running' and s.lease_expires_at < now()
        order by s.lease_expires_at limit ${limit} for update of s skip locked`,
  );
}

/** An expired attempt with attempts left: back to the queue after `delayMs`. */
export async function requeueExpired(tx: Db, id: number, error: unknown, delayMs: number): Promise<void> {
  await tx.execute(sql`update steps set status = 'queued', lease_expires_at = null, error = ${JSON.stringify(error)}::jsonb,
    ready_at = now() + ${delayMs} * interval '1 millisecond' where id = ${id}`);
}

/** An expired attempt that was the last: the step fails. */
export async function failExpired(tx: Db, id: number, error: unknown): Promise<void> {
  await tx.execute(sql`update steps set status = 'failed', lease_expires_at = null, error = ${JSON.stringify(error)}::jsonb,
    finished_at = now() where id = ${id}`);
}

/** Waiting steps whose time has come (a sleep's end, a wait's timeout), earliest first. */
export function lockDueWaits(tx: Db, limit: number): Promise<SweptRow[]> {
  return queryRows<SweptRow>(
    tx,
    sql`select s.id, s.run_id, s.name, s.item_index, s.kind, s.attempts, s.max_attempts, s.fence, r.workflow, r.version
        from steps s join runs r on r.id = s.run_id
        where s.status = 'waiting' and s.ready_at <= now()
        order by s.ready_at limit ${limit} for update of s skip locked`,
  );
}

/** A sleep ended: succeeded with no output. */
export async function endSleep(tx: Db, id: number): Promise<void> {
  await tx.execute(
    sql`update steps set status = 'succeeded', output = 'null'::jsonb, finished_at = now() where id = ${id}`,
  );
}

/** A wait (event or callback) timed out: failed, no longer waiting for its topic. */
export async function timeOutWait(tx: Db, id: number, error: unknown): Promise<void> {
  await tx.execute(sql`update steps set status = 'failed', error = ${JSON.stringify(error)}::jsonb, wait_topic = null, finished_at = now()
    where id = ${id}`);
}
