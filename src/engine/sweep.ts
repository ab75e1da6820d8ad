/**
 * Time-driven transitions, run at the start of every tick:
 * - expired leases: the attempt's process died or hung; the step goes back to the queue (with
 *   backoff) or fails when it has no attempts left. Only steps that were in flight re-run.
 * - due waits: a sleep whose end has come succeeds; a wait (event or agent callback) whose
 *   timeout has come fails.
 * Each batch is one transaction holding its rows with SKIP LOCKED, so concurrent ticks split
 * the work instead of repeating it. The statements and their indexes: sql/sweep.ts.
 */
import type { Db } from "@/db/client";
import { backoffDelayMs } from "./complete";
import { settleStep } from "./progress";
import { getPlan } from "./registry";
import { insertExpiredAttempt } from "./sql/attempts";
import { endSleep, failExpired, lockDueWaits, lockExpiredLeases, requeueExpired, timeOutWait } from "./sql/sweep";
import { toNumber } from "@/db/rows";

const BATCH = 100;

export async function sweepExpiredLeases(db: Db): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await lockExpiredLeases(tx, BATCH);
    for (const row of rows) {
      const plan = await getPlan(tx, row.workflow, toNumber(row.version));
      const def = plan.step(row.name);
      const error = {
        name: "LeaseExpired",
        message: "The worker running this attempt stopped answering; its lease expired.",
      };
      await insertExpiredAttempt(
        tx,
        { id: toNumber(row.id), attempt: toNumber(row.attempts), fence: toNumber(row.fence) },
        error,
      );
      if (toNumber(row.attempts) < toNumber(row.max_attempts)) {
        const delay = def ? backoffDelayMs(def.retry, toNumber(row.attempts)) : 0;
        await requeueExpired(tx, toNumber(row.id), error, delay);
      } else {
        await failExpired(tx, toNumber(row.id), error);
        await settleStep(tx, { id: row.run_id, plan }, row.name, toNumber(row.item_index), "failed", error);
      }
    }
    return rows.length;
  });
}

export async function sweepDueWaits(db: Db): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await lockDueWaits(tx, BATCH);
    for (const row of rows) {
      const plan = await getPlan(tx, row.workflow, toNumber(row.version));
      const ref = { id: row.run_id, plan };
      if (row.kind === "sleep") {
        await endSleep(tx, toNumber(row.id));
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
      await timeOutWait(tx, toNumber(row.id), error);
      await settleStep(tx, ref, row.name, toNumber(row.item_index), "failed", error);
    }
    return rows.length;
  });
}
