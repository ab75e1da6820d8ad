/**
 * The record of agent calls (outcome, latency), written in batches: a call adds a row to an
 * in-process buffer, flushed as one multi-row insert when it holds 100 rows, a second after
 * its first row, before an error-rate decision, and at the end of a tick. A crash loses at
 * most a second of this record; it feeds the breaker's error rate and the health view, never
 * the state of a run.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { log } from "@/observability/log";
import { METRICS, recordMetric } from "@/observability/metrics/record";

export type CallOutcome = "succeeded" | "accepted" | "failed" | "rejected";

interface CallRow {
  agent: string;
  action: string;
  outcome: CallOutcome;
  duration_ms: number;
  at: string;
}

const FLUSH_ROWS = 100;
const FLUSH_DELAY_MS = 1_000;

interface Buffer {
  rows: CallRow[];
  timer?: NodeJS.Timeout;
  flushing: Promise<void>;
}
const buffers = new WeakMap<Db, Buffer>();

function bufferOf(db: Db): Buffer {
  let buffer = buffers.get(db);
  if (!buffer) buffers.set(db, (buffer = { rows: [], flushing: Promise.resolve() }));
  return buffer;
}

export function recordCall(
  db: Db,
  call: { agent: string; action: string; outcome: CallOutcome; durationMs: number },
): void {
  // The metric keeps the history (rollups, percentiles, alerts); this table the breaker's recent window.
  recordMetric(db, {
    name: METRICS.agentCallDuration,
    value: call.durationMs,
    error: call.outcome === "failed",
    labels: { agent: call.agent, action: call.action, status: call.outcome },
  });
  const buffer = bufferOf(db);
  buffer.rows.push({
    agent: call.agent,
    action: call.action,
    outcome: call.outcome,
    duration_ms: Math.round(call.durationMs),
    at: new Date().toISOString(),
  });
  if (buffer.rows.length >= FLUSH_ROWS) void flushCalls(db);
  else if (!buffer.timer) {
    buffer.timer = setTimeout(() => void flushCalls(db), FLUSH_DELAY_MS);
    buffer.timer.unref();
  }
}

export async function flushCalls(db: Db): Promise<void> {
  const buffer = bufferOf(db);
  if (buffer.timer) clearTimeout(buffer.timer);
  buffer.timer = undefined;
  const rows = buffer.rows;
  buffer.rows = [];
  const previous = buffer.flushing;
  buffer.flushing = (async () => {
    await previous;
    if (rows.length === 0) return;
    try {
      await db.execute(sql`insert into agent_calls (agent, action, outcome, duration_ms, at)
        select agent, action, outcome, duration_ms, at from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          as r(agent text, action text, outcome text, duration_ms int, at timestamptz)`);
    } catch (error) {
      log.warn("agent call record: flush failed", { rows: rows.length, error });
    }
  })();
  await buffer.flushing;
}

export interface CallStats {
  calls: number;
  failures: number;
  avgMs: number | null;
  p95Ms: number | null;
  lastAt: Date | null;
}

/** Calls of one agent over the last `windowMs` (served by agent_calls_agent_at_idx). */
export async function callStats(db: Db, agent: string, windowMs: number): Promise<CallStats> {
  await flushCalls(db);
  const [row = {}] = await queryRows<Record<string, unknown>>(
    db,
    sql`select count(*)::int as calls, count(*) filter (where outcome = 'failed')::int as failures,
      avg(duration_ms)::float8 as avg_ms, percentile_cont(0.95) within group (order by duration_ms)::float8 as p95_ms, max(at) as last_at
    from agent_calls where agent = ${agent} and at > now() - ${windowMs} * interval '1 millisecond'`,
  );
  return {
    calls: Number(row.calls ?? 0),
    failures: Number(row.failures ?? 0),
    avgMs: row.avg_ms === null || row.avg_ms === undefined ? null : Number(row.avg_ms),
    p95Ms: row.p95_ms === null || row.p95_ms === undefined ? null : Number(row.p95_ms),
    lastAt: row.last_at ? new Date(row.last_at as string) : null,
  };
}
