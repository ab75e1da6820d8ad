/**
 * Per-minute rollups and retention, run by the housekeeping of every tick driver (the cron
 * tick route on Vercel, the local worker loop) about once a minute.
 *
 * Rollup. Points are picked by when they were WRITTEN (`recorded_at` past the watermark), not
 * by when they happened: a point buffered for a second, or flushed by a slow instance, still
 * gets rolled up. Every minute such a point falls in is then recomputed in full from the raw
 * points (an upsert of the whole minute), so a late point makes its minute exact again rather
 * than being merged approximately. The watermark stops 5 s short of now: an insert that took
 * its `now()` before our read but commits after it is not skipped.
 * Only one rollup runs at a time: the state row is locked with SKIP LOCKED, and a second
 * caller just returns.
 *
 * Retention (src/operations/retention): raw points older than METRICS_RAW_RETENTION_HOURS are
 * deleted once rolled up (never past the watermark); minutes older than
 * METRICS_ROLLUP_RETENTION_DAYS too.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { toIso, toNumber } from "@/db/rows";

/** Points written less than this long ago wait for the next rollup (commit lag of concurrent inserts). */
const SETTLE_MS = 5_000;

export interface RollupResult {
  /** False when another rollup held the state row. */
  ran: boolean;
  /** Minute buckets (re)computed. */
  minutes: number;
  watermark: string | null;
}

export async function rollupMetrics(db: Db, options: { settleMs?: number } = {}): Promise<RollupResult> {
  const settleMs = options.settleMs ?? SETTLE_MS;
  await db.execute(
    sql`insert into metric_rollup_state (id, watermark) values (1, '-infinity') on conflict (id) do nothing`,
  );
  return db.transaction(async (tx) => {
    const [state] = await queryRows<{ watermark: unknown }>(
      tx,
      sql`select watermark from metric_rollup_state where id = 1 for update skip locked`,
    );
    if (!state) return { ran: false, minutes: 0, watermark: null };
    const [upTo] = await queryRows<{ at: unknown }>(
      tx,
      sql`select now() - ${settleMs} * interval '1 millisecond' as at`,
    );
    const upToIso = toIso(upTo!.at)!;
    const from = state.watermark;
    const [done] = await queryRows<{ n: unknown }>(
      tx,
      sql`with affected as (
            select distinct name, date_trunc('minute', at) as m, agent, workflow
            from metric_points
            where recorded_at > ${from}::timestamptz and recorded_at <= ${upToIso}::timestamptz
          ),
          computed as (
            select p.name, a.m as bucket, p.agent, p.workflow, count(*)::int as count, sum(p.value) as sum, min(p.value) as min, max(p.value) as max,
                   (count(*) filter (where p.error))::int as errors,
                   percentile_cont(array[0.5, 0.95, 0.99]) within group (order by p.value) as p
            from affected a
            join metric_points p on p.name = a.name and p.at >= a.m and p.at < a.m + interval '1 minute' and p.agent = a.agent and p.workflow = a.workflow
            group by p.name, a.m, p.agent, p.workflow
          ),
          upserted as (
            insert into metric_minutes (name, bucket, agent, workflow, count, sum, min, max, errors, p50, p95, p99)
            select name, bucket, agent, workflow, count, sum, min, max, errors, p[1], p[2], p[3] from computed
            on conflict (name, bucket, agent, workflow) do update set
              count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max, errors = excluded.errors,
              p50 = excluded.p50, p95 = excluded.p95, p99 = excluded.p99
            returning 1
          )
          select count(*)::int as n from upserted`,
    );
    await tx.execute(sql`update metric_rollup_state set watermark = ${upToIso}::timestamptz where id = 1`);
    return { ran: true, minutes: toNumber(done?.n ?? 0), watermark: upToIso };
  });
}
