/**
 * Crash recovery (Postgres only: the worker is a real process, killed with SIGKILL).
 *
 * (a) A worker dies while its http calls are in flight. Those attempts hold leases (timeout +
 *     5 s grace); nobody takes them over before the lease expires, then the sweep records
 *     `lease_expired` and requeues them, and they run again. Only they: steps that had
 *     finished before the crash are never called again, and the steps after them run once.
 * (b) A worker dies while a run sleeps. The sleep is a row, not a timer in the dead process:
 *     the run still continues when the sleep ends, and the steps before it do not run again.
 */
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openDb, queryRows, type Db, type DbHandle } from "@/db/client";
import { getRun } from "@/engine/runs";
import { startRun } from "@/engine/start-run";
import { tick } from "@/engine/tick";
import { createPostgresDatabase } from "../helpers/db";
import { register, stepOf } from "../helpers/engine";
import { spawnWorker, stopWorkers, waitForWorkersReady, type WorkerProc } from "../helpers/engine-proc";
import { startReceiver, type Receiver } from "../helpers/receiver";

const LEASE_GRACE_MS = 5_000; // the worker's default (scripts/worker.ts does not change it)

async function statusCounts(db: Db, runIds: string[]): Promise<Record<string, number>> {
  const rows = await queryRows<{ status: string; n: unknown }>(
    db,
    sql`select status, count(*)::int as n from runs where id = any(${sql.param(runIds)}::uuid[]) group by status`,
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

async function attemptHistory(db: Db, runId: string, name: string) {
  const rows = await queryRows<{ attempt: unknown; outcome: string }>(
    db,
    sql`select a.attempt, a.outcome from step_attempts a join steps s on s.id = a.step_id
        where s.run_id = ${runId} and s.name = ${name} order by a.id`,
  );
  return rows.map((r) => [Number(r.attempt), r.outcome]);
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!process.env.TEST_DATABASE_URL)("engine crash recovery [postgres]", () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>> | undefined;
  let handle: DbHandle | undefined;
  let receiver: Receiver | undefined;
  let workers: WorkerProc[] = [];
  const previousAllowedHosts = process.env.HTTP_STEP_ALLOWED_HOSTS;

  beforeAll(async () => {
    database = await createPostgresDatabase({ migrated: true });
    handle = await openDb(database.url, "pg");
    receiver = await startReceiver();
    process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
  });

  afterEach(async () => {
    await stopWorkers(workers);
    workers = [];
  });

  afterAll(async () => {
    await stopWorkers(workers);
    await receiver?.close();
    await handle?.close();
    await database?.drop();
    if (previousAllowedHosts === undefined) delete process.env.HTTP_STEP_ALLOWED_HOSTS;
    else process.env.HTTP_STEP_ALLOWED_HOSTS = previousAllowedHosts;
  });

  it("a worker killed with steps in flight: after the lease expires only those steps run again, and lease_expired is recorded", async () => {
    const db = handle!.db;
    const r = receiver!;
    const RUNS = 8;
    // /b calls are held until the worker is dead; every other call answers at once.
    r.setHold(({ path }) => (path.startsWith("/crash/b") ? "until_released" : 0));
    await register(
      db,
      `
name: crash_mid_call
steps:
  - name: a
    http: { url: "${r.base}/crash/a", body: { run: "{{ run.id }}" } }
    timeout: 3s
  - name: b
    depends_on: a
    http: { url: "${r.base}/crash/b" }
    timeout: 3s
    retry: { max_attempts: 3, initial_interval: 10ms, max_interval: 10ms }
  - name: c
    depends_on: b
    http: { url: "${r.base}/crash/c" }
    timeout: 3s
`,
    );
    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i++) runIds.push((await startRun(db, { workflow: "crash_mid_call" })).id);

    const worker = spawnWorker(database!.url);
    workers.push(worker);
    // Every run's `b` is in flight in the worker (its 3 s timeout has not fired yet): kill it.
    await r.waitUntil(() => r.inFlight("/crash/b").length === RUNS, 30_000, `${RUNS} calls to /crash/b in flight`);
    await worker.crash();
    const killedAt = Date.now();
    await r.waitUntil(() => r.inFlight("/crash/b").length === 0, 5_000, "the dead worker's connections to close");
    r.setHold(() => 0);

    // The crash happened mid-call: `a` done, `b` running with no recorded result, `c` not started.
    for (const id of runIds) {
      expect(await attemptHistory(db, id, "a")).toEqual([[1, "succeeded"]]);
      expect(await attemptHistory(db, id, "b")).toEqual([]);
      expect(stepOf(await getRun(db, id), "b")).toMatchObject({ status: "running", attempts: 1 });
    }
    const [lease] = await queryRows<{ expires: unknown }>(
      db,
      sql`select max(lease_expires_at) as expires from steps s where s.name = 'b' and s.run_id = any(${sql.param(runIds)}::uuid[])`,
    );
    const leaseExpires = new Date(String(lease!.expires)).getTime();
    expect(leaseExpires).toBeGreaterThan(killedAt); // the lease outlives the crash...

    // ...and while it holds, a tick neither sweeps nor re-runs the dead worker's attempts.
    const early = await tick(db, { budgetMs: 5_000 });
    expect(early).toMatchObject({ claimed: 0, swept: 0 });
    expect(r.calls.filter((c) => c.path === "/crash/b")).toHaveLength(RUNS);

    // After the lease expires, ticks from this process finish the runs.
    await waitFor("the runs to finish after the lease expired", 3_000 + LEASE_GRACE_MS + 20_000, async () => {
      const result = await tick(db, { budgetMs: 5_000 });
      if (result.claimed > 0) expect(Date.now()).toBeGreaterThanOrEqual(leaseExpires - 50);
      const counts = await statusCounts(db, runIds);
      return counts.succeeded === RUNS || (counts.failed ?? 0) > 0;
    });
    expect(await statusCounts(db, runIds)).toEqual({ succeeded: RUNS });

    for (const id of runIds) {
      const calls = (name: string) => r.callsFor(`${id}:${name}`).map((c) => [c.attempt, c.outcome]);
      expect(calls("a")).toEqual([[1, "answered"]]); // finished before the crash: never again
      expect(calls("b")).toEqual([
        [1, "aborted"], // in flight when the worker died
        [2, "answered"], // run again after the lease expired
      ]);
      expect(calls("c")).toEqual([[1, "answered"]]);
      expect(await attemptHistory(db, id, "a")).toEqual([[1, "succeeded"]]);
      expect(await attemptHistory(db, id, "b")).toEqual([
        [1, "lease_expired"],
        [2, "succeeded"],
      ]);
      expect(await attemptHistory(db, id, "c")).toEqual([[1, "succeeded"]]);
    }
    expect(r.overlaps).toEqual([]);
  }, 60_000);

  it("a worker killed while a run sleeps: the run continues after the sleep, and the steps before it do not run again", async () => {
    const db = handle!.db;
    const r = receiver!;
    r.setHold(() => 0);
    const SLEEP_MS = 3_000;
    await register(
      db,
      `
name: crash_in_sleep
steps:
  - name: before
    http: { url: "${r.base}/nap/before" }
    timeout: 3s
  - name: nap
    depends_on: before
    sleep: ${SLEEP_MS}ms
  - name: after
    depends_on: nap
    http: { url: "${r.base}/nap/after", body: { before: "{{ steps.before.output.body.key }}" } }
    timeout: 3s
`,
    );
    const runIds: string[] = [];
    for (let i = 0; i < 5; i++) runIds.push((await startRun(db, { workflow: "crash_in_sleep" })).id);

    const first = spawnWorker(database!.url);
    workers.push(first);
    const napping = async () => {
      const [row] = await queryRows<{ n: unknown }>(
        db,
        sql`select count(*)::int as n from steps where name = 'nap' and status = 'waiting' and run_id = any(${sql.param(runIds)}::uuid[])`,
      );
      return Number(row!.n) === runIds.length;
    };
    await waitFor("every run to be asleep", 30_000, napping);
    await first.crash();
    // The worker died before any sleep ended.
    const [due] = await queryRows<{ pending: unknown }>(
      db,
      sql`select count(*)::int as pending from steps where name = 'nap' and ready_at > now() and run_id = any(${sql.param(runIds)}::uuid[])`,
    );
    expect(Number(due!.pending)).toBe(runIds.length);
    expect(r.calls.filter((c) => c.path === "/nap/after")).toHaveLength(0);

    // A new worker process takes over; nothing is handed to it but the database.
    const second = spawnWorker(database!.url);
    workers.push(second);
    await waitForWorkersReady(db, [second]);
    await waitFor(
      "the runs to finish after the sleep",
      SLEEP_MS + 30_000,
      async () => (await statusCounts(db, runIds)).succeeded === runIds.length,
    );

    for (const id of runIds) {
      const run = await getRun(db, id);
      expect(run.status).toBe("succeeded");
      expect(r.callsFor(`${id}:before`).map((c) => c.attempt)).toEqual([1]);
      expect(r.callsFor(`${id}:after`).map((c) => [c.attempt, JSON.parse(c.body)])).toEqual([
        [1, { before: `${id}:before` }],
      ]);
      expect(await attemptHistory(db, id, "before")).toEqual([[1, "succeeded"]]);
      // The sleep was honoured from its start, across the crash.
      const nap = stepOf(run, "nap");
      const after = stepOf(run, "after");
      expect(nap.status).toBe("succeeded");
      expect(new Date(after.startedAt!).getTime() - new Date(nap.startedAt!).getTime()).toBeGreaterThanOrEqual(
        SLEEP_MS,
      );
    }
    expect(r.overlaps).toEqual([]);
  }, 60_000);
});
