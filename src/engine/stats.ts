/**
 * The orchestration overview, in one SQL round trip: runs by status, the ready queue, and the
 * steps parked on a sleep or an event. Every count is served by an index (runs by status, the
 * partial indexes of queued and waiting steps), so it stays cheap on a large history.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import type { RunStatus } from "@/db/schema";
import { toNumber } from "@/db/rows";

export interface OrchestrationStats {
  /** `waiting` is derived as in runs.ts: a running run whose only unfinished steps are waiting. */
  runs: Record<RunStatus, number>;
  queue: {
    /** Steps claimable now: queued, and `ready_at` has passed. */
    ready: number;
    /** How long the oldest of them has been ready; null when none is. */
    oldestReadyAgeMs: number | null;
  };
  /** Steps parked on a sleep or an event (a for_each parent waiting on its items is not parked). */
  waitingSteps: number;
}

interface StatsRow {
  queued: unknown;
  running: unknown;
  waiting: unknown;
  succeeded: unknown;
  failed: unknown;
  cancelled: unknown;
  ready: unknown;
  oldest_ready_age_ms: unknown;
  waiting_steps: unknown;
}

export async function orchestrationStats(db: Db): Promise<OrchestrationStats> {
  const [row] = await queryRows<StatsRow>(
    db,
    sql`select
          (select count(*) from runs where status = 'queued')::int as queued,
          (select count(*) from runs where status = 'running')::int as running,
          (select count(*) from runs r where r.status = 'running'
             and exists (select 1 from steps w where w.run_id = r.id and w.status = 'waiting' and w.ready_at is not null)
             and not exists (select 1 from steps q where q.run_id = r.id and q.status in ('queued', 'running')))::int as waiting,
          (select count(*) from runs where status = 'succeeded')::int as succeeded,
          (select count(*) from runs where status = 'failed')::int as failed,
          (select count(*) from runs where status = 'cancelled')::int as cancelled,
          ready.n as ready,
          ready.oldest_ms as oldest_ready_age_ms,
          (select count(*) from steps where status = 'waiting' and ready_at is not null)::int as waiting_steps
        from (select count(*)::int as n,
                     floor(extract(epoch from (now() - min(ready_at))) * 1000)::float8 as oldest_ms
              from steps where status = 'queued' and ready_at <= now()) ready`,
  );
  if (!row) throw new Error("orchestrationStats: the query returned no row");
  const waiting = toNumber(row.waiting);
  return {
    runs: {
      queued: toNumber(row.queued),
      running: toNumber(row.running) - waiting,
      waiting,
      succeeded: toNumber(row.succeeded),
      failed: toNumber(row.failed),
      cancelled: toNumber(row.cancelled),
    },
    queue: {
      ready: toNumber(row.ready),
      oldestReadyAgeMs:
        row.oldest_ready_age_ms === null || row.oldest_ready_age_ms === undefined
          ? null
          : toNumber(row.oldest_ready_age_ms),
    },
    waitingSteps: toNumber(row.waiting_steps),
  };
}
