/**
 * Reading metrics. Every aggregate is computed in Postgres.
 *
 * A series reads each bucket from ONE source:
 * - buckets the rollup has covered (before the rollup watermark less a minute, at a bucket
 *   boundary) from the per-minute rollups (rollup.ts): count, sum, min, max and errors exactly;
 *   a 1-minute bucket's percentiles are exact too (each minute's were computed with
 *   percentile_cont over its raw points); a 5-minute or 1-hour bucket's percentiles are the
 *   count-weighted mean of its minutes' percentiles, an approximation;
 * - later buckets (the last minute or two, or everything after a stalled rollup) from the raw
 *   points: count, avg, min, max, error rate and EXACT percentiles (`percentile_cont`).
 * Why not raw points for every bucket inside the raw retention: exact percentiles over a day of
 * points means reading and sorting every point of the day (100,000 agent calls: ~100 ms on the
 * 2-core VM, and linear in traffic), while the rollups answer a day by hour from 1,440 rows per
 * series whatever the traffic. The cost is approximate 5 m / 1 h percentiles, as in most
 * metrics stores. `windowAggregate` (the alert rules' short windows) stays exact, from raw points.
 * A point that arrives after its minute was rolled up is in the raw table and makes the next
 * rollup recompute that minute; until then the minute misses it.
 *
 * Served by metric_points_name_at_idx / metric_points_name_agent_at_idx and the rollups'
 * primary key / metric_minutes_agent_idx / metric_minutes_workflow_idx.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { CodedError } from "@/errors";
import { toIso, toNumber } from "@/db/rows";

export const BUCKETS = { "1m": 60_000, "5m": 300_000, "1h": 3_600_000 } as const;
export type BucketSize = keyof typeof BUCKETS;
/** The most buckets one series may have (a day of minutes). */
export const MAX_BUCKETS = 1_440;

export interface SeriesPoint {
  bucket: string;
  count: number;
  avg: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Failed over all points of the bucket; null without points. */
  errorRate: number | null;
}

export interface SeriesParams {
  name: string;
  agent?: string;
  workflow?: string;
  from: Date;
  to: Date;
  bucket: BucketSize;
}

/** A range the API refuses (400): inverted, or too many buckets. */
export class SeriesRangeError extends CodedError {
  constructor(message: string) {
    super("bad_request", message);
  }
}

/** Buckets are aligned on the epoch, so every caller sees the same boundaries. */
function alignDown(ms: number, size: number): number {
  return Math.floor(ms / size) * size;
}

/**
 * Runs an analytic query with room to sort in memory (percentiles sort each bucket's values; the
 * default 4 MB work_mem spills a day of points to disk) and without JIT (its compile time, up to
 * hundreds of ms, dwarfs these queries). `set local` lasts until the end of this transaction only.
 */
async function analytic<T>(db: Db, query: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local work_mem = '64MB'`);
    await tx.execute(sql`set local jit = off`);
    return query(tx);
  });
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : toNumber(v));

/** The aggregate columns every metrics query selects (n, avg, min, max, p50, p95, p99, error_rate). */
function aggregatesOf(r: Record<string, unknown>): Omit<SeriesPoint, "bucket"> {
  return {
    count: toNumber(r.n),
    avg: num(r.avg),
    min: num(r.min),
    max: num(r.max),
    p50: num(r.p50),
    p95: num(r.p95),
    p99: num(r.p99),
    errorRate: num(r.error_rate),
  };
}

/** Every bucket of [from, to), oldest first; a bucket without points has count 0 and null aggregates. */
export async function metricSeries(db: Db, params: SeriesParams): Promise<SeriesPoint[]> {
  const size = BUCKETS[params.bucket];
  const start = alignDown(params.from.getTime(), size);
  const end = params.to.getTime();
  if (end <= start) throw new SeriesRangeError("`to` must be after `from`.");
  const buckets = Math.ceil((end - start) / size);
  if (buckets > MAX_BUCKETS)
    throw new SeriesRangeError(
      `The range holds ${buckets} buckets of ${params.bucket}; at most ${MAX_BUCKETS} (choose a larger bucket).`,
    );
  const step = `${size / 1000} seconds`;
  const startIso = new Date(start).toISOString();
  const endIso = new Date(end).toISOString();
  const agent = params.agent ?? null;
  const workflow = params.workflow ?? null;
  const rows = await analytic(db, (tx) =>
    queryRows<Record<string, unknown>>(
      tx,
      sql`with buckets as (
          select generate_series(${startIso}::timestamptz, ${endIso}::timestamptz - interval '1 microsecond', ${step}::interval) as b
        ),
        -- The first bucket boundary not covered by the rollups: the watermark less a minute
        -- (points buffered or settling), aligned down. Buckets from there on are read raw.
        split as (
          select greatest(${startIso}::timestamptz, least(${endIso}::timestamptz,
                   date_bin(${step}::interval, coalesce((select watermark from metric_rollup_state where id = 1 and watermark > timestamptz '1970-01-01 00:00:00+00'), timestamptz '1970-01-01 00:01:00+00') - interval '1 minute',
                            timestamptz '1970-01-01 00:00:00+00'))) as at
        ),
        raw as (
          select date_bin(${step}::interval, at, timestamptz '1970-01-01 00:00:00+00') as b,
                 count(*)::int as n, avg(value) as avg, min(value) as min, max(value) as max,
                 percentile_cont(array[0.5, 0.95, 0.99]) within group (order by value) as p,
                 (count(*) filter (where error))::float8 / count(*) as error_rate
          from metric_points
          where name = ${params.name} and at >= (select at from split) and at < ${endIso}::timestamptz
            and (${agent}::text is null or agent = ${agent}) and (${workflow}::text is null or workflow = ${workflow})
          group by 1
        ),
        rolled as (
          select date_bin(${step}::interval, bucket, timestamptz '1970-01-01 00:00:00+00') as b,
                 sum(count)::int as n, sum(sum) / sum(count) as avg, min(min) as min, max(max) as max,
                 array[sum(p50 * count) / sum(count), sum(p95 * count) / sum(count), sum(p99 * count) / sum(count)] as p,
                 sum(errors)::float8 / sum(count) as error_rate
          from metric_minutes
          where name = ${params.name} and bucket >= ${startIso}::timestamptz and bucket < (select at from split)
            and (${agent}::text is null or agent = ${agent}) and (${workflow}::text is null or workflow = ${workflow})
          group by 1
        ),
        merged as (select * from raw union all select * from rolled)
        select buckets.b as bucket, coalesce(m.n, 0) as n, m.avg, m.min, m.max, m.p[1] as p50, m.p[2] as p95, m.p[3] as p99, m.error_rate
        from buckets left join merged m on m.b = buckets.b
        order by buckets.b`,
    ),
  );
  return rows.map((r) => ({ bucket: toIso(r.bucket)!, ...aggregatesOf(r) }));
}

export interface WindowAggregate extends Omit<SeriesPoint, "bucket"> {
  /** The agent or workflow grouped by; "" when not grouped. */
  group: string;
}

export interface WindowParams {
  name: string;
  /** The window ends now; at most the raw retention (older points are gone). */
  windowMs: number;
  agent?: string;
  workflow?: string;
  groupBy?: "agent" | "workflow" | null;
  now?: Date;
}

/** Aggregates of one metric over the last `windowMs`, from raw points (exact percentiles); groups without points are absent. */
export async function windowAggregate(db: Db, params: WindowParams): Promise<WindowAggregate[]> {
  const now = (params.now ?? new Date()).toISOString();
  const group = params.groupBy === "agent" ? sql`agent` : params.groupBy === "workflow" ? sql`workflow` : sql`''::text`;
  const agent = params.agent ?? null;
  const workflow = params.workflow ?? null;
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select grp, n, avg, min, max, p[1] as p50, p[2] as p95, p[3] as p99, error_rate from (
        select ${group} as grp, count(*)::int as n, avg(value) as avg, min(value) as min, max(value) as max,
               percentile_cont(array[0.5, 0.95, 0.99]) within group (order by value) as p,
               (count(*) filter (where error))::float8 / count(*) as error_rate
        from metric_points
        where name = ${params.name}
          and at > ${now}::timestamptz - ${params.windowMs} * interval '1 millisecond' and at <= ${now}::timestamptz
          and (${agent}::text is null or agent = ${agent}) and (${workflow}::text is null or workflow = ${workflow})
        group by 1) g order by 1`,
  );
  return rows.map((r) => ({ group: String(r.grp ?? ""), ...aggregatesOf(r) }));
}
