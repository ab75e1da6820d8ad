/**
 * Metrics: buffered writes, exact percentiles against a brute-force computation, rollups and
 * retention, and the three built-in metrics recorded by the engine, the gateway and the HTTP
 * wrappers.
 */
import fc from "fast-check";
import { sql } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { registerInProcessAgent } from "@/agents/catalog";
import { createApiKey } from "@/auth/api-keys";
import { queryRows, type Db } from "@/db/client";
import { startRun } from "@/engine/start-run";
import { bufferedMetricCount, flushMetrics, recordMetric } from "@/observability/metrics/record";
import { metricSeries, windowAggregate } from "@/observability/metrics/query";
import { rollupMetrics } from "@/observability/metrics/rollup";
import { runRetention } from "@/operations/retention/prune";
import { systemMonitoring } from "@/operations/monitoring";
import { GET as getRunRoute } from "@/app/api/orchestration/runs/[id]/route";
import { GET as getMetrics, POST as postMetrics } from "@/app/api/metrics/route";
import { GET as getMonitoring } from "@/app/api/system/monitoring/route";
import { describeDb } from "../../helpers/db";
import { register, runUntilDone } from "../../helpers/engine";
import { callJson } from "../../helpers/http";

/** percentile_cont: linear interpolation between the two closest ranks of the sorted values. */
function percentileCont(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = fraction * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

function close(actual: number | null, expected: number): void {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));
}

async function count(suiteDb: () => Db, name: string): Promise<number> {
  const [row] = await queryRows<{ n: unknown }>(
    suiteDb(),
    sql`select count(*)::int as n from metric_points where name = ${name}`,
  );
  return Number(row?.n ?? 0);
}

beforeAll(() => {
  registerInProcessAgent("metricsagent", {
    ok: async () => ({ fine: true }),
    boom: async () => {
      throw new Error("always fails");
    },
  });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describeDb("metrics", (suite) => {
  const db = () => suite.db();
  let name = 0;
  const fresh = () => `test.metric.${++name}.${Math.random().toString(36).slice(2, 8)}`;

  describe("recording", () => {
    it("buffers points in the process and writes them in one flush", async () => {
      const metric = fresh();
      for (let i = 0; i < 50; i++) recordMetric(db(), { name: metric, value: i, labels: { agent: "a" } });
      expect(await count(db, metric)).toBe(0);
      expect(bufferedMetricCount(db())).toBeGreaterThanOrEqual(50);
      await flushMetrics(db());
      expect(bufferedMetricCount(db())).toBe(0);
      expect(await count(db, metric)).toBe(50);
      const [row] = await queryRows<{ agent: string; labels: unknown }>(
        db(),
        sql`select agent, labels from metric_points where name = ${metric} limit 1`,
      );
      expect(row).toEqual({ agent: "a", labels: { agent: "a" } });
    });

    it("flushes after the response on a serverless platform, without waiting for the timer", async () => {
      vi.stubEnv("VERCEL", "1");
      const admin = (await createApiKey(db(), { name: "metrics admin", role: "admin" })).key;
      const metric = fresh();
      const res = await callJson(postMetrics, "/api/metrics", {
        method: "POST",
        key: admin,
        body: { name: metric, value: 12.5, labels: { agent: "x" } },
      });
      expect(res.status).toBe(202);
      // Outside a Next request `after()` runs the flush detached: it lands at once, not a second later.
      await vi.waitFor(async () => expect(await count(db, metric)).toBe(1), { timeout: 500, interval: 20 });
    });
  });

  describe("percentiles", () => {
    it("match a brute-force percentile_cont for any values: raw buckets exactly, rolled-up minutes exactly, rolled-up 5 minutes in range", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              value: fc.double({ min: 0, max: 1e6, noNaN: true }),
              minute: fc.integer({ min: 0, max: 9 }),
              second: fc.integer({ min: 0, max: 59 }),
              error: fc.boolean(),
            }),
            { minLength: 1, maxLength: 60 },
          ),
          async (points) => {
            const metric = fresh();
            const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000; // an hour-aligned hour ago
            const atOf = (p: (typeof points)[number]) => base + p.minute * 60_000 + p.second * 1000;
            for (const p of points)
              recordMetric(db(), { name: metric, value: p.value, error: p.error, at: new Date(atOf(p)) });
            await flushMetrics(db());
            const check = async (bucket: "1m" | "5m", exactPercentiles: boolean) => {
              const size = bucket === "1m" ? 60_000 : 300_000;
              const series = await metricSeries(db(), {
                name: metric,
                from: new Date(base),
                to: new Date(base + 600_000),
                bucket,
              });
              expect(series).toHaveLength(600_000 / size);
              for (const point of series) {
                const start = Date.parse(point.bucket);
                const inside = points.filter((p) => atOf(p) >= start && atOf(p) < start + size);
                expect(point.count).toBe(inside.length);
                if (inside.length === 0) {
                  expect(point.p50).toBeNull();
                  continue;
                }
                const values = inside.map((p) => p.value);
                close(point.min, Math.min(...values));
                close(point.max, Math.max(...values));
                close(point.avg, values.reduce((a, b) => a + b, 0) / values.length);
                close(point.errorRate, inside.filter((p) => p.error).length / inside.length);
                for (const [fraction, got] of [
                  [0.5, point.p50],
                  [0.95, point.p95],
                  [0.99, point.p99],
                ] as const) {
                  if (exactPercentiles) close(got, percentileCont(values, fraction));
                  else {
                    expect(got!).toBeGreaterThanOrEqual(Math.min(...values) - 1e-6);
                    expect(got!).toBeLessThanOrEqual(Math.max(...values) + 1e-6);
                  }
                }
              }
            };
            // Nothing rolled up yet: every bucket is read from the raw points.
            await db().execute(
              sql`insert into metric_rollup_state (id, watermark) values (1, '-infinity') on conflict (id) do update set watermark = '-infinity'`,
            );
            await check("1m", true);
            await check("5m", true);
            // Rolled up: the buckets are read from the per-minute rollups.
            await rollupMetrics(db(), { settleMs: 0 });
            await check("1m", true);
            await check("5m", false);
          },
        ),
        { numRuns: 15 },
      );
    });

    it("filter by agent and workflow, and group a window by agent", async () => {
      const metric = fresh();
      const now = Date.now();
      const values = { a: [10, 20, 30, 40], b: [100, 300] };
      for (const v of values.a)
        recordMetric(db(), {
          name: metric,
          value: v,
          labels: { agent: "a", workflow: "w1" },
          at: new Date(now - 1000),
        });
      for (const v of values.b)
        recordMetric(db(), {
          name: metric,
          value: v,
          error: true,
          labels: { agent: "b", workflow: "w2" },
          at: new Date(now - 1000),
        });
      await flushMetrics(db());
      const groups = await windowAggregate(db(), { name: metric, windowMs: 60_000, groupBy: "agent" });
      expect(groups.map((g) => [g.group, g.count, g.errorRate])).toEqual([
        ["a", 4, 0],
        ["b", 2, 1],
      ]);
      close(groups[0]!.p95, percentileCont(values.a, 0.95));
      const onlyB = await metricSeries(db(), {
        name: metric,
        agent: "b",
        from: new Date(now - 60_000),
        to: new Date(now + 1),
        bucket: "1h",
      });
      expect(onlyB.reduce((n, p) => n + p.count, 0)).toBe(2);
      const onlyW1 = await windowAggregate(db(), { name: metric, windowMs: 60_000, workflow: "w1" });
      expect(onlyW1).toEqual([expect.objectContaining({ group: "", count: 4 })]);
    });
  });

  describe("rollups and retention", () => {
    it("roll raw points into exact minutes, serve old ranges from them, and prune by retention", async () => {
      const metric = fresh();
      const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000; // three hours ago, hour-aligned
      const byMinute = new Map<number, number[]>();
      for (let i = 0; i < 200; i++) {
        const minute = i % 7;
        const value = (i * 37) % 101;
        recordMetric(db(), {
          name: metric,
          value,
          error: i % 10 === 0,
          labels: { agent: "roll" },
          at: new Date(base + minute * 60_000 + (i % 50) * 1000),
        });
        byMinute.set(minute, [...(byMinute.get(minute) ?? []), value]);
      }
      await flushMetrics(db());
      const rolled = await rollupMetrics(db(), { settleMs: 0 });
      expect(rolled.ran).toBe(true);
      const minutes = await queryRows<{ bucket: unknown; count: unknown; p95: unknown }>(
        db(),
        sql`select bucket, count, p95 from metric_minutes where name = ${metric} order by bucket`,
      );
      expect(minutes).toHaveLength(7);
      for (const m of minutes) {
        const minute = (new Date(String(m.bucket)).getTime() - base) / 60_000;
        expect(Number(m.count)).toBe(byMinute.get(minute)!.length);
        close(Number(m.p95), percentileCont(byMinute.get(minute)!, 0.95));
      }

      // Rolled up: the series now reads the minutes (its raw points could be pruned).
      const series = await metricSeries(db(), {
        name: metric,
        from: new Date(base),
        to: new Date(base + 600_000),
        bucket: "1m",
      });
      for (const point of series.slice(0, 7)) {
        const values = byMinute.get((Date.parse(point.bucket) - base) / 60_000)!;
        expect(point.count).toBe(values.length);
        close(point.p99, percentileCont(values, 0.99));
      }
      const coarse = await metricSeries(db(), {
        name: metric,
        from: new Date(base),
        to: new Date(base + 600_000),
        bucket: "5m",
      });
      const all = [...byMinute.entries()].filter(([m]) => m < 5).flatMap(([, v]) => v);
      expect(coarse[0]!.count).toBe(all.length);
      close(coarse[0]!.max, Math.max(...all));
      close(coarse[0]!.min, Math.min(...all));

      // Pruning: with a raw retention of one hour, these three-hour-old points go (they are rolled up); the minutes stay.
      vi.stubEnv("METRICS_RAW_RETENTION_HOURS", "1");
      const metricTables = ["metric_points", "metric_minutes"];
      const [pruned] = await runRetention(db(), {
        now: new Date(Date.now() + 2 * 3_600_000),
        tables: ["metric_points"],
        force: true,
      });
      expect(pruned!.deleted).toBeGreaterThanOrEqual(200);
      expect(await count(db, metric)).toBe(0);
      const [kept] = await queryRows<{ n: unknown }>(
        db(),
        sql`select count(*)::int as n from metric_minutes where name = ${metric}`,
      );
      expect(Number(kept?.n)).toBe(7);
      // 31 days later the minutes are past the rollup retention too.
      await runRetention(db(), { now: new Date(base + 31 * 86_400_000), tables: metricTables, force: true });
      const [gone] = await queryRows<{ n: unknown }>(
        db(),
        sql`select count(*)::int as n from metric_minutes where name = ${metric}`,
      );
      expect(Number(gone?.n)).toBe(0);
    });

    it("recompute a minute exactly when a late point arrives after its rollup", async () => {
      const metric = fresh();
      const at = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000);
      // A rollup another caller runs at that moment (skip locked) answers ran: false: roll up again
      // (for up to 20 s), and say so if none ran.
      const rollup = async () => {
        for (let i = 0; i < 200; i++) {
          if ((await rollupMetrics(db(), { settleMs: 0 })).ran) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error("no rollup ran in 20 s: another one held the state row");
      };
      for (const v of [1, 2, 3]) recordMetric(db(), { name: metric, value: v, at });
      await flushMetrics(db());
      await rollup();
      recordMetric(db(), { name: metric, value: 100, at });
      await flushMetrics(db());
      // The late point is written (a failed flush only logs) after the watermark the first rollup left.
      const [late] = await queryRows<{ n: unknown; recorded: unknown; watermark: unknown }>(
        db(),
        sql`select count(*)::int as n, max(recorded_at)::text as recorded,
              (select watermark::text from metric_rollup_state where id = 1) as watermark
            from metric_points where name = ${metric}`,
      );
      expect(Number(late?.n), `points written: ${JSON.stringify(late)}`).toBe(4);
      await rollup();
      const [m] = await queryRows<{ count: unknown; max: unknown; p50: unknown }>(
        db(),
        sql`select count, max, p50 from metric_minutes where name = ${metric}`,
      );
      expect(
        { count: Number(m?.count), max: Number(m?.max), p50: Number(m?.p50) },
        `late point and first watermark: ${JSON.stringify(late)}`,
      ).toEqual({
        count: 4,
        max: 100,
        p50: 2.5,
      });
    });

    it("skip a rollup while another one holds the state row", async (ctx) => {
      // PGlite has a single connection: two rollups can only run one after the other there.
      if (suite.target !== "postgres") return ctx.skip();
      await rollupMetrics(db(), { settleMs: 0 });
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked: () => void = () => undefined;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holder = db().transaction(async (tx) => {
        await tx.execute(sql`select watermark from metric_rollup_state where id = 1 for update`);
        locked();
        await held;
      });
      await isLocked;
      const second = await rollupMetrics(db(), { settleMs: 0 });
      release();
      await holder;
      expect(second).toEqual({ ran: false, minutes: 0, watermark: null });
      expect((await rollupMetrics(db(), { settleMs: 0 })).ran).toBe(true);
    });
  });

  describe("built-in metrics", () => {
    it("record every step attempt and agent call with their labels and outcome", async () => {
      await register(
        db(),
        `name: metrics-flow
steps:
  - name: good
    agent: metricsagent
    action: ok
  - name: bad
    agent: metricsagent
    action: boom
    depends_on: [good]
    retry: { max_attempts: 2, initial_interval: 10ms, max_interval: 10ms }
`,
      );
      const run = await startRun(db(), { workflow: "metrics-flow", input: {}, trigger: { type: "manual" } });
      const done = await runUntilDone(db(), run.id);
      expect(done.status).toBe("failed");
      await flushMetrics(db());
      const steps = await queryRows<{ value: number; error: boolean; labels: Record<string, string> }>(
        db(),
        sql`select value, error, labels from metric_points where name = 'step.duration' and workflow = 'metrics-flow' order by id`,
      );
      expect(steps.map((s) => [s.labels.step, s.labels.status, s.error])).toEqual([
        ["good", "succeeded", false],
        ["bad", "failed", true],
        ["bad", "failed", true],
      ]);
      expect(steps[0]!.labels).toMatchObject({ workflow: "metrics-flow", kind: "agent", agent: "metricsagent" });
      const calls = await windowAggregate(db(), {
        name: "agent.call.duration",
        windowMs: 60_000,
        agent: "metricsagent",
      });
      expect(calls[0]).toMatchObject({ count: 3 });
      close(calls[0]!.errorRate, 2 / 3);
    });

    it("record each API request under its route, not its concrete path", async () => {
      const viewer = (await createApiKey(db(), { name: "metrics viewer", role: "viewer" })).key;
      const id = "00000000-0000-4000-8000-000000000001";
      const res = await callJson(getRunRoute, `/api/orchestration/runs/${id}`, { key: viewer, params: { id } });
      expect(res.status).toBe(404);
      await flushMetrics(db());
      const rows = await queryRows<{ labels: Record<string, string>; error: boolean }>(
        db(),
        sql`select labels, error from metric_points where name = 'http.request.duration' and labels->>'route' = '/api/orchestration/runs/[id]'`,
      );
      expect(rows).toContainEqual({
        labels: { route: "/api/orchestration/runs/[id]", method: "GET", status: "404" },
        error: false,
      });
    });
  });

  describe("API", () => {
    let keys: { viewer: string; operator: string };
    beforeAll(async () => {
      keys = {
        viewer: (await createApiKey(db(), { name: "api viewer", role: "viewer" })).key,
        operator: (await createApiKey(db(), { name: "api operator", role: "operator" })).key,
      };
    });

    it("answer a series for a custom metric recorded through POST, with every bucket of the range", async () => {
      const metric = fresh();
      const posted = await callJson(postMetrics, "/api/metrics", {
        method: "POST",
        key: keys.operator,
        body: {
          points: [
            { name: metric, value: 5 },
            { name: metric, value: 15, error: true },
          ],
        },
      });
      expect(posted).toMatchObject({ status: 202, body: { accepted: 2 } });
      await flushMetrics(db());
      const to = new Date(Date.now() + 60_000).toISOString();
      const from = new Date(Date.now() - 600_000).toISOString();
      const res = await callJson<{ series: { count: number; avg: number | null; errorRate: number | null }[] }>(
        getMetrics,
        `/api/metrics?name=${metric}&from=${from}&to=${to}&bucket=5m`,
        { key: keys.viewer },
      );
      expect(res.status).toBe(200);
      expect(res.body.series.length).toBeGreaterThanOrEqual(2);
      const filled = res.body.series.filter((p) => p.count > 0);
      expect(filled).toEqual([expect.objectContaining({ count: 2, avg: 10, errorRate: 0.5 })]);
    });

    it("refuse bad ranges, unknown buckets, built-in names and viewers writing, with 4xx JSON errors", async () => {
      const bad = async (path: string) =>
        (await callJson<{ error: { code: string } }>(getMetrics, path, { key: keys.viewer })).status;
      expect(await bad("/api/metrics")).toBe(400);
      expect(await bad("/api/metrics?name=x&bucket=2m")).toBe(400);
      expect(await bad("/api/metrics?name=x&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z")).toBe(400);
      expect(await bad("/api/metrics?name=x&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&bucket=1m")).toBe(400);
      const builtin = await callJson<{ error: { code: string } }>(postMetrics, "/api/metrics", {
        method: "POST",
        key: keys.operator,
        body: { name: "step.duration", value: 1 },
      });
      expect(builtin.status).toBe(400);
      const old = await callJson(postMetrics, "/api/metrics", {
        method: "POST",
        key: keys.operator,
        body: { name: "x", value: 1, at: "2020-01-01T00:00:00Z" },
      });
      expect(old.status).toBe(400);
      const viewerWrites = await callJson(postMetrics, "/api/metrics", {
        method: "POST",
        key: keys.viewer,
        body: { name: "x", value: 1 },
      });
      expect(viewerWrites.status).toBe(403);
    });

    it("report throughput and error rates from the rollups, with queue, runs, database and memory", async () => {
      const minute = Math.floor(Date.now() / 60_000) * 60_000;
      for (let i = 0; i < 30; i++)
        recordMetric(db(), {
          name: "step.duration",
          value: 5,
          error: i < 3,
          labels: { workflow: "mon" },
          at: new Date(minute - 3 * 60_000 + i * 100),
        });
      await flushMetrics(db());
      await rollupMetrics(db(), { settleMs: 0 });
      const direct = await systemMonitoring(db());
      expect(direct.throughput.stepsPerSecond).toBeGreaterThanOrEqual(30 / 300);
      expect(direct.errorRate.steps).not.toBeNull();
      const res = await callJson<typeof direct>(getMonitoring, "/api/system/monitoring", { key: keys.viewer });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual([
        "at",
        "database",
        "errorRate",
        "process",
        "queue",
        "runs",
        "throughput",
      ]);
      expect(res.body.process.rssBytes).toBeGreaterThan(0);
      expect(res.body.database.latencyMs).toBeGreaterThanOrEqual(0);
      expect(res.body.runs).toHaveProperty("failed");
    });
  });
});
