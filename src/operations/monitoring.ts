/**
 * `GET /api/system/monitoring`: the platform at a glance, in three cheap queries whatever the
 * history's size:
 * - database latency: a `select 1` round trip, measured first;
 * - runs by status, the ready queue and its oldest step (engine/stats.ts, index-served counts);
 * - throughput and error rates over the last five COMPLETE minutes, read from the per-minute
 *   rollups (five rows per metric through the rollup's primary key) rather than by counting
 *   raw points, which at thousands of steps a second would mean counting a million rows.
 *   The rollup runs about once a minute, so these figures trail real time by one to two minutes;
 *   they are labelled with their window.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import type { RunStatus } from "@/db/schema";
import { orchestrationStats } from "@/engine/stats";
import { toNumber } from "@/db/rows";
import { METRICS } from "@/observability/metrics/record";

const WINDOW_MINUTES = 5;

export interface SystemMonitoring {
  at: string;
  throughput: { stepsPerSecond: number; requestsPerSecond: number; agentCallsPerSecond: number; windowSeconds: number };
  /** Failed over all, per kind, in the window; null without any. */
  errorRate: { steps: number | null; requests: number | null; agentCalls: number | null };
  queue: { ready: number; oldestReadyAgeMs: number | null; waitingSteps: number };
  runs: Record<RunStatus, number>;
  database: { latencyMs: number };
  process: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; uptimeSeconds: number };
}

export async function systemMonitoring(db: Db): Promise<SystemMonitoring> {
  const started = performance.now();
  await db.execute(sql`select 1`);
  const latencyMs = Math.round((performance.now() - started) * 10) / 10;
  const stats = await orchestrationStats(db);
  const names = [METRICS.stepDuration, METRICS.httpRequestDuration, METRICS.agentCallDuration];
  const rows = await queryRows<{ name: string; n: unknown; errors: unknown }>(
    db,
    sql`select name, sum(count)::int as n, sum(errors)::int as errors from metric_minutes
        where name = any(${sql.param(names)}::text[])
          and bucket >= date_trunc('minute', now()) - ${WINDOW_MINUTES + 1} * interval '1 minute'
          and bucket < date_trunc('minute', now()) - interval '1 minute'
        group by name`,
  );
  const seconds = WINDOW_MINUTES * 60;
  const of = (name: string) => {
    const row = rows.find((r) => r.name === name);
    const n = row ? toNumber(row.n) : 0;
    return { perSecond: Math.round((n / seconds) * 1000) / 1000, errorRate: n > 0 ? toNumber(row!.errors) / n : null };
  };
  const steps = of(METRICS.stepDuration);
  const requests = of(METRICS.httpRequestDuration);
  const calls = of(METRICS.agentCallDuration);
  const memory = process.memoryUsage();
  return {
    at: new Date().toISOString(),
    throughput: {
      stepsPerSecond: steps.perSecond,
      requestsPerSecond: requests.perSecond,
      agentCallsPerSecond: calls.perSecond,
      windowSeconds: seconds,
    },
    errorRate: { steps: steps.errorRate, requests: requests.errorRate, agentCalls: calls.errorRate },
    queue: {
      ready: stats.queue.ready,
      oldestReadyAgeMs: stats.queue.oldestReadyAgeMs,
      waitingSteps: stats.waitingSteps,
    },
    runs: stats.runs,
    database: { latencyMs },
    process: {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      uptimeSeconds: Math.round(process.uptime()),
    },
  };
}
