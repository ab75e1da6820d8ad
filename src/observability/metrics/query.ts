/**
 * Reading metrics. Every aggregate is computed in Postgres:
 * - within the raw retention (24 h by default), from the raw points: count, avg, min, max,
 *   error rate and EXACT percentiles (`percentile_cont`, linear interpolation);
 * - older buckets, from the per-minute rollups (rollup.ts). A 1-minute bucket is then still
 *   exact (each minute's percentiles were computed with percentile_cont over its raw points);
 *   a 5-minute or 1-hour bucket combines its minutes: count, sum, min, max and errors exactly,
 *   percentiles as the count-weighted mean of the minutes' percentiles (an approximation: exact
 *   percentiles of a union need the raw values, which are gone by then).
 * A bucket is read entirely from one source: the raw side starts at the first bucket boundary
 * inside the raw retention.
 *
 * Served by metric_points_name_at_idx (name, at) and the rollup's primary key (name, bucket, …).
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { readEnv } from "@/env";
import { CodedError } from "@/errors";
import { toIso, toNumber } from "@/engine/sql/rows";

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
  /** "Now", for the raw/rollup split (tests). */
  now?: Date;
}

/** A range the API refuses (400): inverted, or too many buckets. */
export class SeriesRangeError extends CodedError {
  constructor(message: string) {
    super("bad_request", message);
  }
}

function retentionMs(): { rawMs: number } {
  return { rawMs: readEnv().METRICS_RAW_RETENTION_HOURS * 3_600_000 };
}

/** Buckets are aligned on the epoch, so every caller sees the same boundaries. */
function alignDown(ms: number, size: number): number {
  return Math.floor(ms / size) * size;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : toNumber(v));

/** Every bucket of [from, to), oldest first; a bucket without points has count 0 and null aggregates. */
export async function metricSeries(db: Db, params: SeriesParams): Promise<SeriesPoint[]> {
  const size = BUCKETS[params.bucket];
  const start = alignDown(params.from.getTime(), size);
  const end = params.to.getTime();
  if (end <= start) throw new SeriesRangeError("`to` must be after `from`.");
  const buckets = Math.ceil((end - start) / size);
  if (buckets > MAX_BUCKETS) throw new SeriesRangeError(`The range holds ${buckets} buckets of ${params.bucket}; at most ${MAX_BUCKETS} (choose a larger bucket).`);
  const now = (params.now ?? new Date()).getTime();
  // First bucket boundary whose whole bucket is still in the raw retention.
  const rawFrom = Math.ceil((now - retentionMs().rawMs) / size) * size;
  const step = `${size / 1000} seconds`;
  const startIso = new Date(start).toISOString();
  const endIso = new Date(end).toISOString();
  const rawFromIso = new Date(Math.max(rawFrom, start)).toISOString();
  const agent = params.agent ?? null;
  const workflow = params.workflow ?? null;
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`with buckets as (
          select generate_series(${startIso}::timestamptz, ${endIso}::timestamptz - interval '1 microsecond', ${step}::interval) as b
        ),
        raw as (
          select date_bin(${step}::interval, at, timestamptz '1970-01-01 00:00:00+00') as b,
                 count(*)::int as n, avg(value) as avg, min(value) as min, max(value) as max,
                 percentile_cont(0.5) within group (order by value) as p50,
                 percentile_cont(0.95) within group (order by value) as p95,
                 percentile_cont(0.99) within group (order by value) as p99,
                 (count(*) filter (where error))::float8 / count(*) as error_rate
          from metric_points
          where name = ${params.name} and at >= ${rawFromIso}::timestamptz and at < ${endIso}::timestamptz
            and (${agent}::text is null or agent = ${agent}) and (${workflow}::text is null or workflow = ${workflow})
          group by 1
        ),
        rolled as (
          select date_bin(${step}::interval, bucket, timestamptz '1970-01-01 00:00:00+00') as b,
                 sum(count)::int as n, sum(sum) / sum(count) as avg, min(min) as min, max(max) as max,
                 sum(p50 * count) / sum(count) as p50, sum(p95 * count) / sum(count) as p95, sum(p99 * count) / sum(count) as p99,
                 sum(errors)::float8 / sum(count) as error_rate
          from metric_minutes
          where name = ${params.name} and bucket >= ${startIso}::timestamptz and bucket < least(${endIso}::timestamptz, ${rawFromIso}::timestamptz)
            and (${agent}::text is null or agent = ${agent}) and (${workflow}::text is null or workflow = ${workflow})
          group by 1
        ),
        merged as (select * from raw union all select * from rolled)
        select buckets.b as bucket, coalesce(m.n, 0) as n, m.avg, m.min, m.max, m.p50, m.p95, m.p99, m.error_rate
        from buckets left join merged m on m.b = buckets.b
        order by buckets.b`,
  );
  return rows.map((r) => ({
    bucket: toIso(r.bucket)!,
    count: toNumber(r.n),
    avg: num(r.avg),
    min: num(r.min),
    max: num(r.max),
    p50: num(r.p50),
    p95: num(r.p95),
    p99: num(r.p99),
    errorRate: num(r.error_rate),
  }));
}

export interface WindowAggregate {
  /** The agent or workflow grouped by; "" when not grouped. */
  group: string;
  count: number;
  avg: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  errorRate: number | null;
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
    sql`select ${group} as grp, count(*)::int as n, avg(value) as avg, min(value) as min, max(value) as max,
               percentile_cont(0.5) within group (order by value) as p50,
               percentile_cont(0.95) within group (order by value) as p95,
               percentile_cont(0.99) within group (order by value) as p99,
               (count(*) filter (where error))::float8 / count(*) as error_rate
        from metric_points
        where name = ${params.name}
          and at > ${now}::timestamptz - ${params.windowMs} * interval '1 millisecond' and at <= ${now}::timestamptz
          and (${agent}::text is null or agent = ${agent}) and (${workflow}::text is null or workflow = ${workflow})
        group by 1 order by 1`,
  );
  return rows.map((r) => ({
    group: String(r.grp ?? ""),
    count: toNumber(r.n),
    avg: num(r.avg),
    min: num(r.min),
    max: num(r.max),
    p50: num(r.p50),
    p95: num(r.p95),
    p99: num(r.p99),
    errorRate: num(r.error_rate),
  }));
}
