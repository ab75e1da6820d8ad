/**
 * `npm run bench:dashboard` (also the last part of `npm run bench`): every API call the
 * operator's dashboard makes, against a big history, on a real Postgres (BENCH_DATABASE_URL,
 * default the local server; a fresh database `bench_dashboard` each time).
 *
 * The history (seeded in SQL, ~1 minute): 100,000 runs over 30 days across 5 workflows
 * (90 % succeeded, 5 % failed, 2 % cancelled, 2 % running, 1 % queued), 3 steps each, and
 * 1,000,000 step attempts; 200,000 events; 50,000 outbox messages; 10,000 alerts; raw metric
 * points for the last 24 h (100,000 step durations, 100,000 agent calls over 5 agents, 50,000
 * requests) rolled up by the real rollup, and synthetic per-minute rollups for the 29 days
 * before; 100,000 agent call records.
 *
 * Each call goes through its real route handler with an API key (authentication, validation,
 * the queries, JSON), 30 times after 3 warm-ups; prints one JSON line per call with the
 * median, p95 and max in ms, and the EXPLAIN of the hot queries with BENCH_EXPLAIN=1.
 */
import { sql } from "drizzle-orm";
import { createApiKey } from "@/auth/api-keys";
import { registerInProcessAgent } from "@/agents/catalog";
import { openDb, queryRows, setDbHandle, type Db } from "@/db/client";
import { migrate } from "@/db/migrate";
import { parseDefinition } from "@/engine/definition";
import { registerDefinition } from "@/engine/registry";
import { flushMetrics } from "@/observability/metrics/record";
import { rollupMetrics } from "@/observability/metrics/rollup";
import type { RouteHandler } from "@/http/wrappers";
import { ensureWired } from "@/runtime/wire";
import { GET as healthAgents } from "@/app/api/health/agents/route";
import { GET as monitoring } from "@/app/api/system/monitoring/route";
import { GET as orchestration } from "@/app/api/orchestration/route";
import { GET as listRuns } from "@/app/api/orchestration/runs/route";
import { GET as getRun } from "@/app/api/orchestration/runs/[id]/route";
import { GET as metrics } from "@/app/api/metrics/route";
import { GET as events } from "@/app/api/events/route";
import { GET as workflows } from "@/app/api/workflows/route";
import { freshDatabase } from "./database";

const REPEAT = Number(process.env.BENCH_REPEAT ?? 30);
const WORKFLOWS = ["site_generation", "order_processing", "sync_catalog", "daily_report", "cleanup"];
const AGENTS = ["design-ia", "automation", "ads", "core", "orders"];

async function seed(db: Db): Promise<Record<string, number>> {
  registerInProcessAgent("benchdash", { noop: async () => ({}) });
  for (const name of WORKFLOWS) {
    const yaml = `name: ${name}\nsteps:\n${[0, 1, 2].map((i) => `  - name: s${i}\n    agent: benchdash\n    action: noop\n` + (i > 0 ? `    depends_on: s${i - 1}\n` : "")).join("")}`;
    await registerDefinition(db, { definition: parseDefinition(yaml), source: "bench" });
  }
  const wf = sql.raw(`(array['${WORKFLOWS.join("','")}'])`);
  // Runs: one every ~26 s over 30 days, newest first by i.
  await db.execute(sql`insert into runs (id, workflow, version, status, priority, input, trigger, steps_remaining, created_at, started_at, finished_at)
    select gen_random_uuid(), ${wf}[1 + i % 5], 1,
           case when i % 100 < 90 then 'succeeded' when i % 100 < 95 then 'failed' when i % 100 < 97 then 'cancelled' when i % 100 < 99 then 'running' else 'queued' end,
           1, jsonb_build_object('n', i), '{"type":"manual"}'::jsonb,
           case when i % 100 >= 97 then 3 else 0 end,
           now() - i * interval '25.92 seconds', now() - i * interval '25.92 seconds' + interval '1 second',
           case when i % 100 < 97 then now() - i * interval '25.92 seconds' + interval '9 seconds' end
    from generate_series(0, 99999) i`);
  await db.execute(sql`insert into steps (run_id, name, kind, status, priority, attempts, max_attempts, timeout_ms, input, output, ready_at, started_at, finished_at)
    select r.id, 's' || s, 'agent',
           case r.status when 'succeeded' then 'succeeded' when 'failed' then (case when s = 2 then 'failed' else 'succeeded' end)
             when 'cancelled' then 'cancelled' when 'running' then (case when s = 0 then 'running' else 'pending' end) else (case when s = 0 then 'queued' else 'pending' end) end,
           1, 3, 5, 30000, jsonb_build_object('step', s), jsonb_build_object('ok', true),
           case when r.status = 'queued' and s = 0 then r.created_at end,
           r.started_at + s * interval '3 seconds', case when r.status in ('succeeded', 'failed', 'cancelled') then r.started_at + (s + 1) * interval '3 seconds' end
    from runs r cross join generate_series(0, 2) s`);
  // 1,000,000 attempts: 3 per step, plus a fourth on every ninth step (300,000 × 3 + 100,000).
  await db.execute(sql`insert into step_attempts (step_id, attempt, fence, outcome, error, started_at, finished_at, duration_ms)
    select st.id, a, st.id * 10 + a, case when a < 3 + (st.id % 3 = 0)::int then 'failed' else 'succeeded' end, null,
           coalesce(st.started_at, now()) + a * interval '500 milliseconds', coalesce(st.started_at, now()) + a * interval '500 milliseconds' + interval '120 milliseconds', 120
    from steps st cross join lateral generate_series(1, 3 + (st.id % 3 = 0)::int) a`);
  await db.execute(sql`insert into events (topic, data, source, created_at)
    select 'topic.' || (i % 20), jsonb_build_object('i', i), 'bench', now() - i * interval '13 seconds' from generate_series(1, 200000) i`);
  await db.execute(sql`insert into outbox (channel, recipient, subject, body, status, attempts, created_at)
    select case when i % 2 = 0 then 'email' else 'slack' end, 'ops@example.com', 'Message ' || i, 'body', case when i % 50 = 0 then 'failed' else 'sent' end, 1,
           now() - i * interval '52 seconds' from generate_series(1, 50000) i`);
  await db.execute(sql`insert into alerts (rule_id, subject, severity, state, message, value, fired_at, last_seen_at, resolved_at)
    select (select id from alert_rules where builtin = 'failed_runs'), 'bench-' || i, 'warning', case when i <= 20 then 'active' else 'resolved' end, 'Run failures', 1,
           now() - i * interval '4 minutes', now() - i * interval '4 minutes', case when i > 20 then now() - i * interval '4 minutes' + interval '10 minutes' end
    from generate_series(1, 10000) i`);
  const agents = sql.raw(`(array['${AGENTS.join("','")}'])`);
  await db.execute(sql`insert into metric_points (name, at, value, error, agent, workflow, labels, recorded_at)
    select 'step.duration', now() - i * interval '864 milliseconds', 20 + (i::bigint * 7919) % 500, i % 40 = 0, '', ${wf}[1 + i % 5], '{}'::jsonb, now() - i * interval '864 milliseconds'
    from generate_series(1, 100000) i`);
  await db.execute(sql`insert into metric_points (name, at, value, error, agent, workflow, labels, recorded_at)
    select 'agent.call.duration', now() - i * interval '864 milliseconds', 50 + (i::bigint * 104729) % 3000, i % 30 = 0, ${agents}[1 + i % 5], '', '{}'::jsonb, now() - i * interval '864 milliseconds'
    from generate_series(1, 100000) i`);
  await db.execute(sql`insert into metric_points (name, at, value, error, agent, workflow, labels, recorded_at)
    select 'http.request.duration', now() - i * interval '1728 milliseconds', 2 + (i * 31) % 80, i % 100 = 0, '', '', '{}'::jsonb, now() - i * interval '1728 milliseconds'
    from generate_series(1, 50000) i`);
  await db.execute(sql`insert into metric_minutes (name, bucket, agent, workflow, count, sum, min, max, errors, p50, p95, p99)
    select 'agent.call.duration', date_trunc('minute', now()) - m * interval '1 minute', a, '', 14, 14 * 800, 50, 3000, 1, 700, 2600, 2950
    from generate_series(1441, 43200) m cross join unnest(${agents}) a
    union all
    select 'step.duration', date_trunc('minute', now()) - m * interval '1 minute', '', w, 14, 14 * 250, 20, 520, 0, 240, 480, 515
    from generate_series(1441, 43200) m cross join unnest(${wf}) w
    union all
    select 'http.request.duration', date_trunc('minute', now()) - m * interval '1 minute', '', '', 35, 35 * 40, 2, 82, 0, 40, 78, 81
    from generate_series(1441, 43200) m`);
  await db.execute(sql`insert into agent_calls (agent, action, outcome, duration_ms, at)
    select ${agents}[1 + i % 5], 'noop', case when i % 30 = 0 then 'failed' else 'succeeded' end, 50 + i % 3000, now() - i * interval '864 milliseconds'
    from generate_series(1, 100000) i`);
  // The last 24 h of minutes come from the real rollup of the raw points, as the housekeeping does it.
  const rollupStarted = performance.now();
  await rollupMetrics(db, { settleMs: 0 });
  rollupMs = Math.round(performance.now() - rollupStarted);
  await db.execute(sql`analyze`);
  const [counts] = await queryRows<Record<string, unknown>>(
    db,
    sql`select (select count(*) from runs)::int as runs, (select count(*) from steps)::int as steps, (select count(*) from step_attempts)::int as attempts,
               (select count(*) from events)::int as events, (select count(*) from metric_points)::int as metric_points, (select count(*) from metric_minutes)::int as metric_minutes`,
  );
  return Object.fromEntries(Object.entries(counts ?? {}).map(([k, v]) => [k, Number(v)]));
}

async function time(
  handler: RouteHandler,
  path: string,
  key: string,
  params: Record<string, string> = {},
): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await handler(
    new Request(`http://localhost:3000${path}`, { headers: { authorization: `Bearer ${key}` } }),
    { params: Promise.resolve(params) },
  );
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

const round = (x: number) => Math.round(x * 10) / 10;
let rollupMs = 0;

async function main(): Promise<void> {
  process.env.AGENT_TRANSPORT = "inline";
  process.env.LOG_LEVEL = "warn";
  const url = await freshDatabase("bench_dashboard");
  const handle = await openDb(url, "pg");
  setDbHandle(handle);
  const db = handle.db;
  await migrate(db);
  await ensureWired();
  const seeded = performance.now();
  const counts = await seed(db);
  console.log(
    JSON.stringify({
      setup: { ...counts, seedSeconds: round((performance.now() - seeded) / 1000), rollupOf250kPointsMs: rollupMs },
    }),
  );
  const key = (await createApiKey(db, { name: "bench viewer", role: "viewer" })).key;
  const [someRun] = await queryRows<{ id: string }>(
    db,
    sql`select id from runs where status = 'failed' order by created_at desc limit 1 offset 100`,
  );
  const [cursorRow] = await queryRows<{ c: string }>(
    db,
    sql`select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '|' || id as c from runs order by created_at desc, id desc offset 5000 limit 1`,
  );
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const calls: [string, RouteHandler, string, Record<string, string>?][] = [
    ["agents health", healthAgents, "/api/health/agents"],
    ["system monitoring", monitoring, "/api/system/monitoring"],
    ["orchestration stats", orchestration, "/api/orchestration"],
    ["runs, newest", listRuns, "/api/orchestration/runs?limit=50"],
    ["runs, page 100", listRuns, `/api/orchestration/runs?limit=50&cursor=${encodeURIComponent(cursorRow!.c)}`],
    ["runs by status failed", listRuns, "/api/orchestration/runs?status=failed&limit=50"],
    ["runs by workflow + status", listRuns, "/api/orchestration/runs?workflow=daily_report&status=cancelled&limit=50"],
    ["run detail", getRun, `/api/orchestration/runs/${someRun!.id}`, { id: someRun!.id }],
    [
      "agent latency 1h (1m)",
      metrics,
      `/api/metrics?name=agent.call.duration&agent=ads&from=${iso(now - 3_600_000)}&to=${iso(now)}&bucket=1m`,
    ],
    [
      "agent latency 6h (5m)",
      metrics,
      `/api/metrics?name=agent.call.duration&agent=ads&from=${iso(now - 6 * 3_600_000)}&to=${iso(now)}&bucket=5m`,
    ],
    [
      "all agents latency 24h (1h)",
      metrics,
      `/api/metrics?name=agent.call.duration&from=${iso(now - 86_400_000)}&to=${iso(now)}&bucket=1h`,
    ],
    [
      "agent latency 24h (1h)",
      metrics,
      `/api/metrics?name=agent.call.duration&agent=ads&from=${iso(now - 86_400_000)}&to=${iso(now)}&bucket=1h`,
    ],
    [
      "agent latency 30d (1h, rollups)",
      metrics,
      `/api/metrics?name=agent.call.duration&agent=ads&from=${iso(now - 30 * 86_400_000)}&to=${iso(now - 86_400_000)}&bucket=1h`,
    ],
    [
      "all steps 24h (5m)",
      metrics,
      `/api/metrics?name=step.duration&from=${iso(now - 86_400_000)}&to=${iso(now)}&bucket=5m`,
    ],
    ["events, newest", events, "/api/events?order=desc&limit=50"],
    ["workflows", workflows, "/api/workflows"],
  ];
  const optional: [string, string, string][] = [
    ["alerts, active", "@/app/api/alerts/route", "/api/alerts?state=active&limit=50"],
    ["alerts, all", "@/app/api/alerts/route", "/api/alerts?limit=50"],
    ["outbox", "@/app/api/outbox/route", "/api/outbox?limit=50"],
  ];
  for (const [name, module, path] of optional) {
    try {
      const mod = (await import(/* @vite-ignore */ module)) as { GET: RouteHandler };
      calls.push([name, mod.GET, path]);
    } catch {
      console.log(JSON.stringify({ call: name, skipped: "route not present" }));
    }
  }
  let worst = 0;
  for (const [name, handler, path, params] of calls) {
    const times: number[] = [];
    let status = 0;
    for (let i = 0; i < REPEAT + 3; i++) {
      const r = await time(handler, path, key, params);
      status = r.status;
      if (i >= 3) times.push(r.ms);
    }
    times.sort((a, b) => a - b);
    const p95 = times[Math.min(times.length - 1, Math.floor(0.95 * times.length))]!;
    worst = Math.max(worst, p95);
    console.log(
      JSON.stringify({
        call: name,
        path: path.split("?")[0],
        status,
        medianMs: round(times[Math.floor(times.length / 2)]!),
        p95Ms: round(p95),
        maxMs: round(times.at(-1)!),
      }),
    );
  }
  console.log(
    JSON.stringify({ summary: { calls: calls.length, worstP95Ms: round(worst), targetMs: 100, met: worst < 100 } }),
  );
  if (process.env.BENCH_EXPLAIN) {
    for (const [label, query] of [
      ["runs newest", sql`explain analyze select id from runs r order by r.created_at desc, r.id desc limit 51`],
      [
        "runs by status",
        sql`explain analyze select id from runs r where r.status = 'failed' order by r.created_at desc, r.id desc limit 51`,
      ],
      [
        "agent series 24h",
        sql`explain analyze select count(*) from metric_points where name = 'agent.call.duration' and at >= now() - interval '24 hours' and agent = 'ads'`,
      ],
      [
        "monitoring window",
        sql`explain analyze select name, sum(count) from metric_minutes where name = any(array['step.duration']) and bucket >= date_trunc('minute', now()) - interval '6 minutes' group by name`,
      ],
    ] as const) {
      const rows = await queryRows<{ "QUERY PLAN": string }>(db, query);
      console.log(`-- ${label}\n${rows.map((r) => r["QUERY PLAN"]).join("\n")}`);
    }
  }
  await flushMetrics(db);
  setDbHandle(undefined);
  await handle.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
