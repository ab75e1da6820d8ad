/**
 * The tick's read when it found nothing ready: milliseconds until the earliest future timer, a
 * queued step's `ready_at` (retry backoff, deferral) whose timeout fits, a waiting step's
 * `ready_at` (sleep end, wait or callback timeout), a running step's lease expiry. Null when
 * none.
 *
 * Three `min`s, each read from the first entry of one partial index, all of them small when a
 * tick finds nothing ready (the only time this runs): `steps_ready_idx`, `steps_due_idx`,
 * `steps_lease_idx`. Takes no lock.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { toNumber } from "@/db/rows";

export async function nextDueInMs(db: Db, maxTimeoutMs: number): Promise<number | null> {
  const [row] = await queryRows<{ ms: unknown }>(
    db,
    sql`select extract(epoch from least(
          (select min(ready_at) from steps where status = 'queued' and ready_at > now() and timeout_ms <= ${Math.floor(maxTimeoutMs)}),
          (select min(ready_at) from steps where status = 'waiting' and ready_at is not null),
          (select min(lease_expires_at) from steps where status = 'running')
        ) - now()) * 1000 as ms`,
  );
  if (row?.ms === null || row?.ms === undefined) return null;
  return Math.max(0, Math.ceil(toNumber(row.ms)));
}
