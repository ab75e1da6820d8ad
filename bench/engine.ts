/**
 * `npm run bench`: the engine on the anchor workloads (../shared/notes/anchor-bench.md), with
 * no-op steps, against a real Postgres (BENCH_DATABASE_URL, default the local server; a fresh
 * database `bench_engine` is created for each run). Prints one JSON line per workload.
 *
 *  W1  5,000 independent one-step runs: wall time from the first start to the last completion
 *      (durable: counted in the runs table), runs/s. Two ways to start them, as the anchors
 *      measured: one `startRun` call per run (10 in flight), and bulk (`startRuns`, 500 a call).
 *  W2  50 sequential runs of a 10-step chain: latency start → run succeeded, p50/p95, per step.
 *  W3  one run of 100 parallel steps (for_each) and a join, 10 repetitions: median.
 *  W5  one 1,000-step chain: per-step overhead of steps 951–1000 over steps 1–50.
 *  gateway: the 10-step chain with agent calls over the http transport vs inline (per-step cost).
 *  site: the 399 EUR workflow (workflows/site_generation.yaml) with the built-in generators.
 *  Idle: database queries per second of one idle worker.
 */
import pg from "pg";
import { sql } from "drizzle-orm";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { openDb, queryRows, setDbHandle, type Db } from "@/db/client";
import { GET as siteGet, HEAD as siteHead } from "@/app/sites/[slug]/[[...path]]/route";
import { agentPost } from "@/http/agent-route";
import { migrate } from "@/db/migrate";
import { parseDefinition } from "@/engine/definition";
import { registerInProcessAgent } from "@/agents/catalog";
import { registerDefinition } from "@/engine/registry";
import { startRun, startRuns } from "@/engine/start-run";
import { projects } from "@/db/schema";
import { sealOrderForm } from "@/projects/personal";
import { orderFormSchema } from "@/projects/schema";
import { wakeLocalWorkers } from "@/engine/wake";
import { DEFAULT_BATCH_SIZE } from "@/engine/tick";
import { ensureWired } from "@/runtime/wire";
import { runWorker } from "@/runtime/worker";
import { freshDatabase } from "./database";

const WORKERS = Number(process.env.BENCH_WORKERS ?? 4);
const BATCH = Number(process.env.BENCH_BATCH ?? DEFAULT_BATCH_SIZE);
const ONLY = process.env.BENCH_ONLY?.split(",");

let queries = 0;
const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  queries++;
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;

function chain(name: string, n: number): string {
  const steps = Array.from(
    { length: n },
    (_, i) =>
      `  - name: s${i}\n    agent: bench\n    action: noop\n    input: { i: ${i} }\n` +
      (i > 0 ? `    depends_on: s${i - 1}\n` : ""),
  );
  return `name: ${name}\nsteps:\n${steps.join("")}`;
}

const DEFINITIONS = [
  "name: w1\nsteps:\n  - name: only\n    agent: bench\n    action: noop\n    input: { i: 0 }\n",
  chain("w2", 10),
  `name: w3
steps:
  - name: fan
    for_each: "{{ input.items }}"
    agent: bench
    action: noop
    input: { i: "{{ item }}" }
  - name: join
    depends_on: fan
    agent: bench
    action: sum
    input: { values: "{{ steps.fan.output[*].i }}" }
output: "{{ steps.join.output.sum }}"
`,
  chain("w5", 1000),
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * Completion notices, as the anchors do it (their last job runs `pg_notify`): a bench-only
 * trigger notifies `bench_run_done` when a run reaches a final status, and one LISTEN
 * connection resolves the waiters. (Polling the runs table every millisecond, as this bench
 * once did, steals CPU and connections from the workers on a 2-core machine.)
 */
const waiters = new Map<string, (status: string) => void>();
const finished = new Map<string, string>();
async function listenForRunEnds(url: string, db: Db): Promise<pg.Client> {
  await db.execute(sql`create or replace function bench_notify_run_done() returns trigger language plpgsql as $$
    begin perform pg_notify('bench_run_done', new.id::text || ':' || new.status); return null; end $$`);
  await db.execute(sql`create or replace trigger bench_run_done after update of status on runs for each row
    when (new.status in ('succeeded', 'failed', 'cancelled') and old.status is distinct from new.status) execute function bench_notify_run_done()`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  client.on("notification", (msg) => {
    const [id, status] = (msg.payload ?? "").split(":");
    if (!id || !status) return;
    const waiter = waiters.get(id);
    if (waiter) waiter(status);
    else finished.set(id, status);
  });
  await client.query("listen bench_run_done");
  return client;
}

async function waitForRun(_db: Db, id: string): Promise<void> {
  const status = finished.get(id) ?? (await new Promise<string>((resolve) => waiters.set(id, resolve)));
  waiters.delete(id);
  finished.delete(id);
  if (status !== "succeeded") throw new Error(`run ${id} ${status}`);
}

async function w1(db: Db, mode: "single" | "bulk"): Promise<Record<string, unknown>> {
  const total = Number(process.env.BENCH_W1_RUNS ?? 5000);
  await db.execute(sql`delete from runs where workflow = 'w1'`);
  const started = performance.now();
  let next = 0;
  if (mode === "single") {
    const starters = Array.from({ length: 10 }, async () => {
      while (next < total) {
        next++;
        await startRun(db, { workflow: "w1", input: { i: next } });
        wakeLocalWorkers();
      }
    });
    await Promise.all(starters);
  } else {
    for (; next < total; next += 500) {
      const runs = Array.from({ length: Math.min(500, total - next) }, (_, k) => ({ input: { i: next + k } }));
      await startRuns(db, { workflow: "w1", runs });
      wakeLocalWorkers();
    }
  }
  const startedAll = performance.now();
  for (;;) {
    const [row] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from runs where workflow = 'w1' and status = 'succeeded'`,
    );
    if ((row?.n ?? 0) >= total) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    workload: `W1 ${mode}`,
    runs: total,
    seconds: round(seconds),
    runsPerSecond: round(total / seconds, 0),
    startSeconds: round((startedAll - started) / 1000),
  };
}

async function w2(db: Db): Promise<Record<string, unknown>> {
  const latencies: number[] = [];
  for (let i = 0; i < 51; i++) {
    const t0 = performance.now();
    const { id } = await startRun(db, { workflow: "w2", input: { i } });
    wakeLocalWorkers();
    await waitForRun(db, id);
    if (i > 0) latencies.push(performance.now() - t0); // the first one warms up
  }
  latencies.sort((a, b) => a - b);
  const p50 = percentile(latencies, 50);
  return {
    workload: "W2",
    runs: 50,
    p50Ms: round(p50),
    p95Ms: round(percentile(latencies, 95)),
    perStepP50Ms: round(p50 / 10),
  };
}

async function w3(db: Db): Promise<Record<string, unknown>> {
  const times: number[] = [];
  const items = Array.from({ length: 100 }, (_, i) => i);
  for (let rep = 0; rep < 11; rep++) {
    const t0 = performance.now();
    const { id } = await startRun(db, { workflow: "w3", input: { items } });
    wakeLocalWorkers();
    await waitForRun(db, id);
    if (rep > 0) times.push(performance.now() - t0);
    const [row] = await queryRows<{ output: unknown }>(db, sql`select output from runs where id = ${id}`);
    if (row?.output !== 4950) throw new Error(`W3 output ${JSON.stringify(row?.output)}`);
  }
  return {
    workload: "W3",
    repetitions: 10,
    medianMs: round(median(times)),
    minMs: round(Math.min(...times)),
    maxMs: round(Math.max(...times)),
  };
}

/** Median latency of `runs` sequential runs of the 10-step chain (after one warm-up run). */
async function chainLatency(db: Db, runs: number): Promise<number> {
  const latencies: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    const { id } = await startRun(db, { workflow: "w2", input: { i } });
    wakeLocalWorkers();
    await waitForRun(db, id);
    if (i > 0) latencies.push(performance.now() - t0);
  }
  return median(latencies);
}

/**
 * Gateway overhead: the same 10-step chain with every agent call over the http transport (a
 * signed POST to the agent route, served by the real route handler on a loopback server,
 * replay guard included) against the inline transport. The difference is the per-step price
 * of giving each agent its own serverless function.
 */
async function gateway(db: Db): Promise<Record<string, unknown>> {
  const route = agentPost("bench");
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const action = (req.url ?? "").split("/").pop() ?? "";
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
        const response = await route(
          new Request(`http://127.0.0.1${req.url ?? "/"}`, { method: "POST", headers, body: Buffer.concat(chunks) }),
          {
            params: Promise.resolve({ action }),
          },
        );
        res.writeHead(response.status, { "content-type": "application/json" });
        res.end(Buffer.from(await response.arrayBuffer()));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  process.env.PUBLIC_BASE_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const perStep: Record<string, number> = {};
  for (const transport of ["inline", "http"] as const) {
    process.env.AGENT_TRANSPORT = transport;
    perStep[transport] = (await chainLatency(db, 30)) / 10;
  }
  delete process.env.AGENT_TRANSPORT;
  delete process.env.PUBLIC_BASE_URL;
  await new Promise((resolve) => server.close(resolve));
  return {
    workload: "gateway",
    inlineMsPerStep: round(perStep.inline!),
    httpMsPerStep: round(perStep.http!),
    httpOverheadMsPerStep: round(perStep.http! - perStep.inline!),
  };
}

/**
 * The 399 EUR workflow with the built-in generators (no language model): 10 sequential runs of
 * workflows/site_generation.yaml after one warm-up, each publishing a site that
 * verify_deployment fetches over HTTP from a loopback server running the real /sites route.
 * Median of the whole run and of each stage (the step's first start to its end).
 */
async function site(db: Db): Promise<Record<string, unknown>> {
  await registerDefinition(db, {
    definition: parseDefinition(readFileSync("workflows/site_generation.yaml", "utf8")),
    source: "bench",
  });
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const m = /^\/sites\/([^/]+)(?:\/(.*?))?\/?$/.exec(url.pathname);
      const handler = req.method === "HEAD" ? siteHead : siteGet;
      const response = m
        ? await handler(new Request(`http://127.0.0.1${url.pathname}`, { method: req.method }), {
            params: Promise.resolve({ slug: m[1]!, path: m[2] ?? "" }),
          })
        : new Response("not found", { status: 404 });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  process.env.PUBLIC_BASE_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const totals: number[] = [];
  const stages = new Map<string, number[]>();
  for (let i = 0; i <= 10; i++) {
    const t0 = performance.now();
    // A site order's run takes its project's id; the brief is read (decrypted) from the project.
    const form = orderFormSchema.parse({
      businessName: `Bench Bakery ${i}`,
      industry: "bakery",
      audience: "families nearby",
      tone: "friendly",
      pages: ["home", "about", "services", "contact", "faq"],
      contactEmail: "owner@bench.example",
      language: "en",
    });
    const [project] = await db
      .insert(projects)
      .values({ tokenHash: "bench", ...sealOrderForm(form), paymentStatus: "test_mode" })
      .returning({ id: projects.id });
    const { id } = await startRun(db, { workflow: "site_generation", input: { projectId: project!.id } });
    wakeLocalWorkers();
    await waitForRun(db, id);
    if (i === 0) continue;
    totals.push(performance.now() - t0);
    const rows = await queryRows<{ name: string; ms: unknown }>(
      db,
      sql`select name, extract(epoch from (finished_at - started_at)) * 1000 as ms from steps where run_id = ${id} and item_index = -1`,
    );
    for (const r of rows) stages.set(r.name, [...(stages.get(r.name) ?? []), Number(r.ms)]);
  }
  delete process.env.PUBLIC_BASE_URL;
  await new Promise((resolve) => server.close(resolve));
  return {
    workload: "site",
    runs: 10,
    medianMs: round(median(totals)),
    maxMs: round(Math.max(...totals)),
    stagesMedianMs: Object.fromEntries([...stages].map(([name, ms]) => [name, round(median(ms))])),
  };
}

async function w5(db: Db): Promise<Record<string, unknown>> {
  const { id } = await startRun(db, { workflow: "w5" });
  wakeLocalWorkers();
  await waitForRun(db, id);
  const rows = await queryRows<{ name: string; ms: number }>(
    db,
    sql`select name, extract(epoch from finished_at) * 1000 as ms from steps where run_id = ${id} order by finished_at`,
  );
  const t = rows.map((r) => Number(r.ms));
  const gaps = t.slice(1).map((x, i) => x - t[i]!);
  const first = median(gaps.slice(0, 50));
  const last = median(gaps.slice(-50));
  return {
    workload: "W5",
    steps: 1000,
    firstStepsMsPerStep: round(first),
    lastStepsMsPerStep: round(last),
    ratio: round(last / first),
  };
}

async function idle(db: Db): Promise<Record<string, unknown>> {
  const controller = new AbortController();
  const worker = runWorker(db, { signal: controller.signal, alertEvaluationMs: 0 });
  await new Promise((r) => setTimeout(r, 3_000)); // reach the longest idle interval
  const q0 = queries;
  await new Promise((r) => setTimeout(r, 10_000));
  const rate = (queries - q0) / 10;
  controller.abort();
  await worker;
  return { workload: "idle", workers: 1, queriesPerSecond: round(rate, 1) };
}

async function main(): Promise<void> {
  registerInProcessAgent("bench", {
    noop: async (input) => input,
    sum: async (input) => ({ sum: (input as { values: number[] }).values.reduce((a, b) => a + b, 0) }),
  });
  const url = await freshDatabase("bench_engine");
  const handle = await openDb(url, "pg", { maxConnections: WORKERS * 2 + 12 });
  const db = handle.db;
  setDbHandle(handle); // the agent routes of the gateway workload read the process-wide handle
  await migrate(db);
  await ensureWired();
  for (const text of DEFINITIONS) await registerDefinition(db, { definition: parseDefinition(text), source: "bench" });
  const listener = await listenForRunEnds(url, db);
  const info = { workers: WORKERS, batch: BATCH, node: process.version, date: new Date().toISOString() };
  console.log(JSON.stringify({ setup: info }));
  if (!ONLY || ONLY.includes("idle")) console.log(JSON.stringify(await idle(db)));
  const controller = new AbortController();
  const workers = Array.from({ length: WORKERS }, () =>
    runWorker(db, { signal: controller.signal, batchSize: BATCH, idleMaxMs: 50, alertEvaluationMs: 0 }),
  );
  const workloads: [string, (db: Db) => Promise<Record<string, unknown>>][] = [
    ["W1", (d) => w1(d, "single")],
    ["W1bulk", (d) => w1(d, "bulk")],
    ["W2", w2],
    ["W3", w3],
    ["W5", w5],
    ["gateway", gateway],
    ["site", site],
  ];
  for (const [name, fn] of workloads) {
    if (ONLY && !ONLY.includes(name)) continue;
    const q0 = queries;
    const result = await fn(db);
    console.log(JSON.stringify({ ...result, clientQueries: queries - q0 }));
  }
  controller.abort();
  await Promise.all(workers);
  await listener.end();
  await handle.close();
}

await main();
