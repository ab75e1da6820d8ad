/**
 * Time-driven transitions, run at the start of every tick:
 * - expired leases: the attempt's process died or hung; the step goes back to the queue (with
 *   backoff) or fails when it has no attempts left. Only steps that were in flight re-run.
 * - due waits: a sleep whose end has come succeeds; a wait (event or agent callback) whose
 *   timeout has come fails.
 * Each batch is one transaction holding its rows with SKIP LOCKED, so concurrent ticks split
 * the work instead of repeating it. Served by `steps_lease_idx` and `steps_due_idx`.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { backoffDelayMs } from "./complete";
import { settleStep } from "./progress";
import { getPlan } from "./registry";
import { toNumber } from "@/db/rows";

const BATCH = 100;

interface SweptRow {
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

export async function sweepExpiredLeases(db: Db): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await queryRows<SweptRow>(
      tx,
      sql`select s.id, s.run_id, s.name, s.item_index, s.kind, s.attempts, s.max_attempts, s.fence, s.started_at, r.workflow, r.version,
                 s.lease_expires_at
          from steps s join runs r on r.id = s.run_id
          where s.status = 'running' and s.lease_expires_at < now()
          order by s.lease_expires_at limit ${BATCH} for update of s skip locked`,
    );
    for (const row of rows) {
      const plan = await getPlan(tx, row.workflow, toNumber(row.version));
      const def = plan.step(row.name);
      const error = {
        name: "LeaseExpired",
        message: "The worker running this attempt stopped answering; its lease expired.",
      };
      await tx.execute(sql`insert into step_attempts (step_id, attempt, fence, outcome, error, started_at, finished_at, duration_ms)
        values (${toNumber(row.id)}, ${toNumber(row.attempts)}, ${toNumber(row.fence)}, 'lease_expired', ${JSON.stringify(error)}::jsonb,
                now(), now(), 0)`);
      if (toNumber(row.attempts) < toNumber(row.max_attempts)) {
        const delay = def ? backoffDelayMs(def.retry, toNumber(row.attempts)) : 0;
        await tx.execute(sql`update steps set status = 'queued', lease_expires_at = null, error = ${JSON.stringify(error)}::jsonb,
          ready_at = now() + ${delay} * interval '1 millisecond' where id = ${toNumber(row.id)}`);
      } else {
        await tx.execute(sql`update steps set status = 'failed', lease_expires_at = null, error = ${JSON.stringify(error)}::jsonb,
          finished_at = now() where id = ${toNumber(row.id)}`);
        await settleStep(tx, { id: row.run_id, plan }, row.name, toNumber(row.item_index), "failed", error);
      }
    }
    return rows.length;
  });
}

export async function sweepDueWaits(db: Db): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await queryRows<SweptRow>(
      tx,
      sql`select s.id, s.run_id, s.name, s.item_index, s.kind, s.attempts, s.max_attempts, s.fence, r.workflow, r.version
          from steps s join runs r on r.id = s.run_id
          where s.status = 'waiting' and s.ready_at <= now()
          order by s.ready_at limit ${BATCH} for update of s skip locked`,
    );
    for (const row of rows) {
      const plan = await getPlan(tx, row.workflow, toNumber(row.version));
      const ref = { id: row.run_id, plan };
      if (row.kind === "sleep") {
        await tx.execute(
          sql`update steps set status = 'succeeded', output = 'null'::jsonb, finished_at = now() where id = ${toNumber(row.id)}`,
        );
        await settleStep(tx, ref, row.name, toNumber(row.item_index), "succeeded");
        continue;
      }
      const error = {
        name: "WaitTimeout",
        message:
          row.kind === "wait_for_event"
            ? "No matching event arrived before the timeout."
            : "The agent did not call back before the timeout.",
      };
      await tx.execute(sql`update steps set status = 'failed', error = ${JSON.stringify(error)}::jsonb, wait_topic = null, finished_at = now()
        where id = ${toNumber(row.id)}`);
      await settleStep(tx, ref, row.name, toNumber(row.item_index), "failed", error);
    }
    return rows.length;
  });
}
