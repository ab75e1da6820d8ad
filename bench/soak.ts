/**
 * `npm run bench:soak`: a soak of the engine with retention on, against a real Postgres
 * (BENCH_DATABASE_URL, default the local server; a fresh database `bench_soak`, dropped at the end).
 *
 * SOAK_RUNS (default 1,000,000) one-step runs (an in-process no-op agent action, as W1 in
 * bench/engine.ts) go through the engine: bulk starts (`startRuns`, 500 a call) kept at most
 * SOAK_IN_FLIGHT (default 10,000) runs ahead of the completions (and, with SOAK_RATE, at most that
 * many runs started per second, in starts of a tenth of it), and SOAK_WORKERS (default 4)
 * of the engine's own worker loops sharing one pool, wired with `ensureWired` like the other
 * benches, so the ticks run the real housekeeping chores: among them the retention pass
 * (src/operations/retention), once a minute with its default budget. Retention is short:
 * finished runs (with their steps and attempts), events, deliveries, outbox messages and agent
 * call records are kept SOAK_RETENTION_S seconds (default 60), set through the retention
 * settings (RETENTION_*_DAYS, fractions of a day); RETENTION_PASS_BUDGET_MS is left as set.
 * On a server with autovacuum off (this project's CI server), the bench stands in for it
 * (SOAK_VACUUM=auto|on|off, see vacuumLoop): without vacuum no deleted row's space is reused and
 * the tables that grew have no statistics, which no production server looks like.
 *
 * Every SOAK_INTERVAL_S (default 30) one JSON line: the window's throughput (runs/s), runs
 * completed, the size (`pg_total_relation_size`) and row count of runs, steps, step_attempts and
 * events, and retention's progress on runs (its progress row). At the start (once the first
 * SOAK_WARMUP runs are done, default 2 %) and at the end, the EXPLAIN (plan shape, costs off) of
 * the claim statement (src/engine/sql/claim.ts) and of the dashboard's runs list
 * (`listRuns`, GET /api/orchestration/runs), both captured as the engine sends them.
 *
 * Verdicts: throughput over the last tenth of the runs against the first tenth (within 10 %?),
 * the four tables' total size at 50 % against 100 % of the runs (within SOAK_SIZE_TOLERANCE,
 * default 10 %), and whether both plans are unchanged.
 */
import pg from "pg";
import { sql } from "drizzle-orm";
import { registerInProcessAgent } from "@/agents/catalog";
import { openDb, queryRows, setDbHandle, type Db } from "@/db/client";
import { migrate } from "@/db/migrate";
import { parseDefinition } from "@/engine/definition";
import { registerDefinition } from "@/engine/registry";
import { listRuns } from "@/engine/runs";
import { startRuns } from "@/engine/start-run";
import { DEFAULT_BATCH_SIZE } from "@/engine/tick";
import { wakeLocalWorkers } from "@/engine/wake";
import { ensureWired } from "@/runtime/wire";
import { runWorker } from "@/runtime/worker";
import { dropDatabase, freshDatabase } from "./database";

const RUNS = Number(process.env.SOAK_RUNS ?? 1_000_000);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 4);
const BATCH = Number(process.env.BENCH_BATCH ?? DEFAULT_BATCH_SIZE);
const IN_FLIGHT = Number(process.env.SOAK_IN_FLIGHT ?? 10_000);
const RETENTION_S = Number(process.env.SOAK_RETENTION_S ?? 60);
const INTERVAL_S = Number(process.env.SOAK_INTERVAL_S ?? 30);
const WARMUP = Number(process.env.SOAK_WARMUP ?? Math.max(1, Math.round(RUNS * 0.02)));
const SIZE_TOLERANCE = Number(process.env.SOAK_SIZE_TOLERANCE ?? 0.1);
/** Most runs started per second (0: as fast as the in-flight bound lets them). */
const RATE = Number(process.env.SOAK_RATE ?? 0);
const START_CHUNK = 500;
/** `auto` (default): stand in for autovacuum only when the server has it off; `on`; `off`. */
const VACUUM = process.env.SOAK_VACUUM ?? "auto";
const VACUUM_NAPTIME_S = Number(process.env.SOAK_VACUUM_NAPTIME_S ?? 60);
/** The tables the soak churns (inserts, updates, retention's deletes). */
const CHURNED = ["runs", "steps", "step_attempts", "events", "agent_calls", "metric_points", "retention_progress"];
const DB_NAME = "bench_soak";
const TABLES = ["runs", "steps", "step_attempts", "events"] as const;

const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
const mb = (bytes: number) => round(bytes / 1_048_576, 1);

/**
 * The statements to EXPLAIN, captured as the engine sends them (text and parameters): the hook
 * records the first query matching an armed pattern.
 */
interface Captured {
  text: string;
  values: unknown[];
}
const armed = new Map<string, { test: (text: string) => boolean; resolve: (c: Captured) => void }>();
const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (armed.size > 0) {
    const first = args[0] as string | { text?: string; values?: unknown[] };
    const text = typeof first === "string" ? first : first?.text;
    const values = (typeof first === "string" ? args[1] : (first?.values ?? args[1])) as unknown[] | undefined;
    if (typeof text === "string")
      for (const [name, hook] of armed)
        if (hook.test(text)) {
          armed.delete(name);
          hook.resolve({ text, values: Array.isArray(values) ? values : [] });
        }
  }
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;

function capture(name: string, test: (text: string) => boolean): Promise<Captured> {
  return new Promise((resolve) => armed.set(name, { test, resolve }));
}

const isClaim = (text: string) =>
  /with c as \(\s*select id from steps\s+where status = 'queued'/.test(text) &&
  /update steps s set status = 'running'/.test(text);
const isRunsList = (text: string) => /from runs r/.test(text) && /order by r\.created_at desc, r\.id desc/.test(text);

async function explain(url: string, statement: Captured): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // No ANALYZE: the claim is an UPDATE, and only the plan's shape is compared.
    const result = await client.query<{ "QUERY PLAN": string }>(
      `explain (costs off) ${statement.text}`,
      statement.values,
    );
    return result.rows.map((r) => r["QUERY PLAN"]).join("\n");
  } finally {
    await client.end();
  }
}

/**
 * A stand-in for autovacuum on a server that has it off (as this project's CI server does): what
 * a production server does by itself, retention's deletes and the engine's updates leave dead
 * rows that only vacuum makes reusable, and the planner needs statistics of tables that grew.
 * Every SOAK_VACUUM_NAPTIME_S (autovacuum_naptime's default, 60 s), `vacuum (analyze)` of each
 * churned table in turn, throttled as autovacuum is (cost delay 2 ms, limit 200).
 */
function vacuumLoop(url: string, signal: AbortSignal): { rounds: () => number; done: Promise<void> } {
  let rounds = 0;
  const done = (async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("set vacuum_cost_delay = '2ms'");
    await client.query("set vacuum_cost_limit = 200");
    try {
      while (!signal.aborted) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, VACUUM_NAPTIME_S * 1000);
          signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
        });
        if (signal.aborted) break;
        for (const table of CHURNED) await client.query(`vacuum (analyze) ${table}`);
        rounds++;
      }
    } finally {
      await client.end();
    }
  })();
  return { rounds: () => rounds, done };
}

async function unfinished(db: Db): Promise<number> {
  const [row] = await queryRows<{ n: unknown }>(
    db,
    sql`select count(*)::int as n from runs where status in ('queued', 'running', 'waiting')`,
  );
  return Number(row?.n ?? 0);
}

interface Sizes {
  bytes: Record<string, number>;
  rows: Record<string, number>;
  totalBytes: number;
}

async function sizes(db: Db): Promise<Sizes> {
  const [row] = await queryRows<Record<string, unknown>>(
    db,
    sql.raw(
      `select ${TABLES.map((t) => `pg_total_relation_size('${t}') as ${t}_bytes, (select count(*) from ${t}) as ${t}_rows`).join(", ")}`,
    ),
  );
  const bytes: Record<string, number> = {};
  const rows: Record<string, number> = {};
  for (const t of TABLES) {
    bytes[t] = Number(row?.[`${t}_bytes`] ?? 0);
    rows[t] = Number(row?.[`${t}_rows`] ?? 0);
  }
  return { bytes, rows, totalBytes: Object.values(bytes).reduce((a, b) => a + b, 0) };
}

async function retentionProgress(db: Db): Promise<Record<string, unknown>> {
  const [row] = await queryRows<Record<string, unknown>>(
    db,
    sql`select total_deleted, last_deleted, last_detail, caught_up, last_duration_ms, last_run_at, oldest_prunable_at, last_error
        from retention_progress where table_name = 'runs'`,
  );
  const [failed] = await queryRows<{ n: unknown }>(
    db,
    sql`select count(*)::int as n from runs where status = 'failed'`,
  );
  return {
    runsDeleted: Number(row?.total_deleted ?? 0),
    lastPassDeleted: row ? Number(row.last_deleted) : null,
    lastPassDetail: row?.last_detail ?? null,
    lastPassMs: row ? Number(row.last_duration_ms) : null,
    caughtUp: row?.caught_up ?? null,
    oldestPrunableAt: row?.oldest_prunable_at ?? null,
    error: row?.last_error ?? null,
    failedRunsPresent: Number(failed?.n ?? 0),
  };
}

async function plans(url: string, db: Db, claim: Captured): Promise<{ claim: string; runsList: string }> {
  const list = capture("runsList", isRunsList);
  await listRuns(db, { limit: 50 });
  return { claim: await explain(url, claim), runsList: await explain(url, await list) };
}

async function main(): Promise<void> {
  process.env.LOG_LEVEL ??= "warn";
  const days = String(RETENTION_S / 86_400);
  for (const setting of [
    "RETENTION_RUNS_DAYS",
    "RETENTION_EVENTS_DAYS",
    "RETENTION_EVENT_DELIVERIES_DAYS",
    "RETENTION_OUTBOX_DAYS",
    "RETENTION_AGENT_CALLS_DAYS",
  ])
    process.env[setting] = days;
  registerInProcessAgent("soak", { noop: async (input) => input });
  const url = await freshDatabase(DB_NAME);
  const handle = await openDb(url, "pg", { maxConnections: WORKERS * 2 + 6 });
  const db = handle.db;
  setDbHandle(handle);
  await migrate(db);
  await ensureWired();
  await registerDefinition(db, {
    definition: parseDefinition(
      "name: soak\nsteps:\n  - name: only\n    agent: soak\n    action: noop\n    input: { i: 0 }\n",
    ),
    source: "bench",
  });
  console.log(
    JSON.stringify({
      setup: {
        runs: RUNS,
        workers: WORKERS,
        batch: BATCH,
        inFlight: IN_FLIGHT,
        rate: RATE || "unbounded",
        retentionSeconds: RETENTION_S,
        retentionPassBudgetMs: process.env.RETENTION_PASS_BUDGET_MS ?? "default",
        intervalSeconds: INTERVAL_S,
        node: process.version,
        date: new Date().toISOString(),
      },
    }),
  );

  const [autovacuum] = await queryRows<{ setting: string }>(
    db,
    sql`select setting from pg_settings where name = 'autovacuum'`,
  );
  const standIn = VACUUM === "on" || (VACUUM === "auto" && autovacuum?.setting !== "on");
  console.log(
    JSON.stringify({
      server: { autovacuum: autovacuum?.setting, vacuumStandIn: standIn, naptimeSeconds: VACUUM_NAPTIME_S },
    }),
  );
  const vacuumStop = new AbortController();
  const vacuum = standIn ? vacuumLoop(url, vacuumStop.signal) : null;

  const claimCaptured = capture("claim", isClaim);
  const controller = new AbortController();
  const workers = Array.from({ length: WORKERS }, () =>
    runWorker(db, { signal: controller.signal, batchSize: BATCH, idleMaxMs: 50, alertEvaluationMs: 0 }),
  );

  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  let started = 0;
  let completed = 0;
  // When the completions crossed each tenth of the runs (throughput at the start and the end).
  const tenths: number[] = [0];
  let sizeAtHalf: Sizes | null = null;
  let startPlans: { claim: string; runsList: string } | null = null;
  let window = { at: 0, completed: 0 };
  let nextReport = INTERVAL_S;

  const report = async (label: string): Promise<Sizes> => {
    const now = elapsed();
    const s = await sizes(db);
    console.log(
      JSON.stringify({
        [label]: {
          seconds: round(now, 1),
          completed,
          windowRunsPerSecond: round((completed - window.completed) / Math.max(0.001, now - window.at)),
          mb: Object.fromEntries(TABLES.map((t) => [t, mb(s.bytes[t]!)])),
          totalMb: mb(s.totalBytes),
          rows: s.rows,
          retention: await retentionProgress(db),
          vacuumRounds: vacuum?.rounds() ?? null,
        },
      }),
    );
    window = { at: now, completed };
    return s;
  };

  while (completed < RUNS) {
    if (started < RUNS && started - completed < IN_FLIGHT && (!RATE || started < RATE * elapsed())) {
      const n = Math.min(RATE ? Math.max(1, Math.round(RATE / 10)) : START_CHUNK, RUNS - started);
      await startRuns(db, {
        workflow: "soak",
        runs: Array.from({ length: n }, (_, k) => ({ input: { i: started + k } })),
      });
      started += n;
      wakeLocalWorkers();
      continue;
    }
    await new Promise((r) => setTimeout(r, 100));
    completed = started - (await unfinished(db));
    while (tenths.length <= 10 && completed >= (RUNS * tenths.length) / 10) tenths.push(elapsed());
    if (!startPlans && completed >= WARMUP) {
      startPlans = await plans(url, db, await claimCaptured);
      console.log(`-- start: claim (src/engine/sql/claim.ts)\n${startPlans.claim}`);
      console.log(`-- start: runs list (GET /api/orchestration/runs)\n${startPlans.runsList}`);
    }
    if (!sizeAtHalf && completed >= RUNS / 2) sizeAtHalf = await report("half");
    if (elapsed() >= nextReport) {
      nextReport += INTERVAL_S;
      await report("window");
    }
  }
  const totalSeconds = elapsed();
  const sizeAtEnd = await report("end");
  const claimAgain = capture("claim", isClaim);
  wakeLocalWorkers(); // an idle worker's next claim
  const endPlans = await plans(url, db, await claimAgain);
  console.log(`-- end: claim\n${endPlans.claim}`);
  console.log(`-- end: runs list\n${endPlans.runsList}`);

  const tenth = RUNS / 10;
  const startRate = tenth / (tenths[1]! - tenths[0]!);
  const endRate = tenth / (tenths[10]! - tenths[9]!);
  const half = sizeAtHalf ?? sizeAtEnd;
  const growth = sizeAtEnd.totalBytes / half.totalBytes - 1;
  const sameClaim = startPlans?.claim === endPlans.claim;
  const sameList = startPlans?.runsList === endPlans.runsList;
  console.log(
    JSON.stringify({
      verdict: {
        runs: RUNS,
        seconds: round(totalSeconds, 1),
        runsPerSecond: round(RUNS / totalSeconds),
        throughput: {
          firstTenthRunsPerSecond: round(startRate),
          lastTenthRunsPerSecond: round(endRate),
          ratio: round(endRate / startRate, 3),
          within10Percent: endRate >= startRate * 0.9,
        },
        size: {
          halfMb: mb(half.totalBytes),
          endMb: mb(sizeAtEnd.totalBytes),
          growth: round(growth, 3),
          flat: Math.abs(growth) <= SIZE_TOLERANCE,
          tolerance: SIZE_TOLERANCE,
          rowsAtHalf: half.rows,
          rowsAtEnd: sizeAtEnd.rows,
        },
        plansUnchanged: { claim: sameClaim, runsList: sameList },
      },
    }),
  );
  console.log(
    `throughput: ${round(endRate)} runs/s over the last tenth vs ${round(startRate)} over the first (${endRate >= startRate * 0.9 ? "within" : "NOT within"} 10 %)`,
  );
  console.log(
    `size: ${mb(sizeAtEnd.totalBytes)} MB at 100 % vs ${mb(half.totalBytes)} MB at 50 % (${Math.abs(growth) <= SIZE_TOLERANCE ? "flat" : "NOT flat"}, ${round(growth * 100, 1)} %)`,
  );
  console.log(`plans: claim ${sameClaim ? "unchanged" : "CHANGED"}, runs list ${sameList ? "unchanged" : "CHANGED"}`);

  controller.abort();
  vacuumStop.abort();
  await Promise.all([...workers, vacuum?.done]);
  setDbHandle(undefined);
  await handle.close();
  if (process.env.SOAK_KEEP_DB !== "1") await dropDatabase(DB_NAME);
}

await main();
