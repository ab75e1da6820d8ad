/**
 * Recording metric points: `recordMetric` adds a point to an in-process buffer (no I/O on the
 * caller's path); the buffer is written as ONE multi-row insert when it holds FLUSH_ROWS
 * points, FLUSH_DELAY_MS after its first point, when a tick ends, and after a response
 * (`flushMetricsAfterResponse` of src/http/flush-metrics.ts, through `after()`, so a serverless
 * invocation frozen right after answering has written its points). Concurrent requests of one
 * instance share a flush.
 *
 * A crash loses at most the buffered second of points; metrics never carry the state of a run
 * (step_attempts does), so that is the accepted price of not writing one row per request.
 * A failed flush is logged and dropped, never retried forever (a metrics outage must not grow
 * memory without bound).
 */
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { log } from "@/observability/log";

/** The built-in metrics (all durations in milliseconds). Custom names are allowed through POST /api/metrics. */
export const METRICS = {
  stepDuration: "step.duration",
  agentCallDuration: "agent.call.duration",
  httpRequestDuration: "http.request.duration",
  /** One tick of the tick route, labelled by `origin` (cron, continuation, kick) and its `budgetMs`. */
  tickDuration: "tick.duration",
  /** A lookup in the agents' result cache (its duration), labelled by `agent`, `action` and `result` (hit, miss). */
  agentCacheLookup: "agent.cache.lookup",
} as const;

export type Labels = Record<string, string>;

export interface MetricPoint {
  name: string;
  value: number;
  /** True when the measured thing failed (a failed step, a failed agent call, a 5xx answer). */
  error?: boolean;
  /** Free labels; `agent` and `workflow` are also the API's filters. */
  labels?: Labels;
  /** When it happened (default: now). */
  at?: Date;
}

interface Row {
  name: string;
  at: string;
  value: number;
  error: boolean;
  agent: string;
  workflow: string;
  labels: Labels;
}

const FLUSH_ROWS = 500;
const FLUSH_DELAY_MS = 1_000;
/** Beyond this many buffered points (the database is down) new points are dropped, counted and logged. */
const MAX_BUFFERED = 50_000;

interface Buffer {
  rows: Row[];
  timer?: NodeJS.Timeout;
  flushing: Promise<void>;
  dropped: number;
}
const buffers = new WeakMap<Db, Buffer>();

function bufferOf(db: Db): Buffer {
  let buffer = buffers.get(db);
  if (!buffer) buffers.set(db, (buffer = { rows: [], flushing: Promise.resolve(), dropped: 0 }));
  return buffer;
}

export function recordMetric(db: Db, point: MetricPoint): void {
  if (!Number.isFinite(point.value)) return;
  const buffer = bufferOf(db);
  if (buffer.rows.length >= MAX_BUFFERED) {
    buffer.dropped += 1;
    return;
  }
  const labels = point.labels ?? {};
  buffer.rows.push({
    name: point.name,
    at: (point.at ?? new Date()).toISOString(),
    value: point.value,
    error: point.error ?? false,
    agent: labels.agent ?? "",
    workflow: labels.workflow ?? "",
    labels,
  });
  if (buffer.rows.length >= FLUSH_ROWS) void flushMetrics(db);
  else if (!buffer.timer) {
    buffer.timer = setTimeout(() => void flushMetrics(db), FLUSH_DELAY_MS);
    buffer.timer.unref();
  }
}

/** Writes every buffered point (one insert), after any flush already under way. */
export async function flushMetrics(db: Db): Promise<void> {
  const buffer = bufferOf(db);
  if (buffer.timer) clearTimeout(buffer.timer);
  buffer.timer = undefined;
  const rows = buffer.rows;
  buffer.rows = [];
  const dropped = buffer.dropped;
  buffer.dropped = 0;
  const previous = buffer.flushing;
  buffer.flushing = (async () => {
    await previous;
    if (dropped > 0) log.warn("metrics: points dropped while the buffer was full", { dropped });
    if (rows.length === 0) return;
    try {
      await insertPoints(db, rows);
    } catch (error) {
      log.warn("metrics: flush failed, points dropped", { points: rows.length, error });
    }
  })();
  await buffer.flushing;
}

async function insertPoints(db: Db, rows: Row[]): Promise<void> {
  await db.execute(sql`insert into metric_points (name, at, value, error, agent, workflow, labels)
    select name, at, value, error, agent, workflow, labels
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as r(name text, at timestamptz, value float8, error boolean, agent text, workflow text, labels jsonb)`);
}

/** Points waiting in this process's buffer (tests, diagnostics). */
export function bufferedMetricCount(db: Db): number {
  return bufferOf(db).rows.length;
}
