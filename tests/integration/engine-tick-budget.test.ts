/**
 * The tick budget is a correctness bound, not a performance target: a tick (the cron route has
 * a hard `maxDuration`) must return within its budget. It claims only steps whose timeout fits
 * in what is left, and every attempt is cut at its timeout, so even hanging calls cannot hold
 * it past the budget. A worker, which ticks in a loop, must still run steps with the default
 * timeout and must keep ending due sleeps while it is busy.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { queryRows, type Db } from "@/db/client";
import { publishEvent } from "@/engine/events";
import { cancelRun, getRun } from "@/engine/runs";
import { startRun } from "@/engine/start-run";
import { tick } from "@/engine/tick";
import { runWorker } from "@/runtime/worker";
import { describeDb } from "../helpers/db";
import { register, stepOf } from "../helpers/engine";
import { startReceiver, type Receiver } from "../helpers/receiver";

/** How late a due sleep may end while a worker is busy with other work. */
const MAX_SLEEP_LAG_MS = 2_000;

/**
 * The correctness bound asserted for a 2 s budget: the budget plus a 1 s margin for recording the
 * last results on a loaded machine (the cron route keeps 5 s between its budget and maxDuration).
 * What fits in a budget depends on the machine's load (CI shares two cores between two test
 * workers and a Next build), so these tests assert the bound and that the tick made progress,
 * never how many steps one tick managed: the rest is drained by further ticks.
 */
const BOUND_MS = 3_000;

let receiver: Receiver;
const previousAllowedHosts = process.env.HTTP_STEP_ALLOWED_HOSTS;

beforeAll(async () => {
  // /slow holds a call 10 s, /hang until released (never, unless the test ends); the rest answer at once.
  receiver = await startReceiver(({ path }) =>
    path.startsWith("/slow") ? 10_000 : path.startsWith("/hang") ? "until_released" : 0,
  );
  process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
});

afterAll(async () => {
  await receiver.close();
  if (previousAllowedHosts === undefined) delete process.env.HTTP_STEP_ALLOWED_HOSTS;
  else process.env.HTTP_STEP_ALLOWED_HOSTS = previousAllowedHosts;
});

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

async function stepsOf(db: Db, runIds: string[]) {
  const rows = await queryRows<{ run_id: string; name: string; status: string; attempts: unknown }>(
    db,
    sql`select run_id, name, status, attempts from steps where run_id = any(${sql.param(runIds)}::uuid[]) order by run_id, name`,
  );
  return rows.map((r) => ({ name: r.name, status: r.status, attempts: Number(r.attempts) }));
}

/** Ticks with a 2 s budget until `runIds` have all succeeded, each tick within the bound. */
async function drain(db: Db, runIds: string[]): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const runs = await Promise.all(runIds.map((id) => getRun(db, id)));
    if (runs.every((r) => r.status === "succeeded")) return;
    const { value, ms } = await timed(() => tick(db, { budgetMs: 2_000 }));
    expect(ms).toBeLessThan(BOUND_MS);
    expect(value.outcomes.failed ?? 0).toBe(0);
  }
  throw new Error("runs did not all succeed within 20 ticks");
}

async function startMany(db: Db, workflow: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await startRun(db, { workflow })).id);
  return ids;
}

/** Cancels what a test leaves unfinished, so no later tick in this file picks it up. */
async function cancelAll(db: Db, runIds: string[]): Promise<void> {
  for (const id of runIds) {
    const run = await getRun(db, id);
    if (run.status !== "succeeded" && run.status !== "failed" && run.status !== "cancelled") await cancelRun(db, id);
  }
}

/** Chains of runs, each emitting the event that starts the next (the `n`-th of `limit` ends it). */
function perpetual(topic: string, limit: number): string {
  return `
name: perpetual
trigger: { event: "${topic}" }
steps:
  - name: again
    when: "{{ input.n < \`${limit}\` }}"
    emit: { topic: "perpetual.next", data: { chain: "{{ input.chain }}", n: "{{ input.n + \`1\` }}" } }
    timeout: 1s
`;
}

/**
 * A worker (default options) that always has work: two chains of runs, so its claim loop never
 * comes back empty until a chain reaches `limit`. `stop()` removes the trigger (a new version
 * without it), lets the worker drain, and stops it.
 */
async function startBusyWorker(db: Db, limit: number) {
  await db.execute(sql`delete from runs where workflow = 'perpetual'`); // an earlier test's chains
  await register(db, perpetual("perpetual.next", limit));
  for (let chain = 0; chain < 2; chain++)
    await publishEvent(db, { topic: "perpetual.next", data: { chain, n: 0 }, source: "test" });
  const controller = new AbortController();
  const worker = runWorker(db, { signal: controller.signal, idleMaxMs: 100 });
  const count = async (where: ReturnType<typeof sql>) => {
    const [row] = await queryRows<{ n: unknown }>(
      db,
      sql`select count(*)::int as n from runs where workflow = 'perpetual' and ${where}`,
    );
    return Number(row!.n);
  };
  return {
    runsCreatedAfter: (t: number) => count(sql`created_at > ${new Date(t).toISOString()}::timestamptz`),
    chainsEnded: async () => (await count(sql`status not in ('succeeded', 'failed', 'cancelled')`)) === 0,
    async stop() {
      await register(db, perpetual("perpetual.stopped", limit));
      controller.abort();
      await worker;
    },
  };
}

describeDb("engine tick budget", (suite) => {
  beforeAll(async () => {
    const db = suite.db();
    const base = receiver.base;
    await register(
      db,
      `
name: slow_call
steps:
  - name: slow
    http: { url: "${base}/slow" }
    timeout: 30s
`,
    );
    await register(
      db,
      `
name: quick_chain
steps:
  - name: quick
    http: { url: "${base}/quick" }
    timeout: 1s
  - name: quick2
    depends_on: quick
    http: { url: "${base}/quick2" }
    timeout: 1s
`,
    );
    await register(
      db,
      `
name: hanging
steps:
  - name: hang
    http: { url: "${base}/hang" }
    timeout: 1500ms
    retry: { max_attempts: 2, initial_interval: 1m }
`,
    );
  });

  it("a 2 s tick returns within its budget, leaves a 30 s step unclaimed, and runs the short steps that fit", async () => {
    const db = suite.db();
    const slow = await startMany(db, "slow_call", 3);
    const quick = await startMany(db, "quick_chain", 10);
    const slowCallsBefore = receiver.calls.filter((c) => c.path === "/slow").length;

    const { value: result, ms } = await timed(() => tick(db, { budgetMs: 2_000 }));
    expect(ms).toBeLessThan(BOUND_MS);
    expect(result.elapsedMs).toBeLessThan(BOUND_MS);

    // The long steps were not claimed: still queued, no attempt, no call.
    expect(await stepsOf(db, slow)).toEqual(slow.map(() => ({ name: "slow", status: "queued", attempts: 0 })));
    expect(receiver.calls.filter((c) => c.path === "/slow").length).toBe(slowCallsBefore);
    // The short ones ran (as many as fitted; on an idle machine all 20, both steps of each
    // chain) and every one it claimed succeeded; further ticks run the rest.
    expect(result.claimed).toBeGreaterThan(0);
    expect(result.outcomes).toEqual({ succeeded: result.claimed });
    await drain(db, quick);

    await cancelAll(db, slow);
  });

  it("a tick whose budget cannot fit a step's timeout leaves it queued and returns at once; a tick whose budget fits runs it", async () => {
    const db = suite.db();
    const quick = await startMany(db, "quick_chain", 5);

    // 1 s timeouts do not fit in 800 ms (minus the margin kept to record results).
    const small = await timed(() => tick(db, { budgetMs: 800 }));
    expect(small.ms).toBeLessThan(800 + 500);
    expect(small.value.claimed).toBe(0);
    expect(await stepsOf(db, quick)).toEqual(
      quick.flatMap(() => [
        { name: "quick", status: "queued", attempts: 0 },
        { name: "quick2", status: "pending", attempts: 0 },
      ]),
    );

    const fits = await timed(() => tick(db, { budgetMs: 2_000 }));
    expect(fits.ms).toBeLessThan(BOUND_MS);
    expect(fits.value.claimed).toBeGreaterThan(0);
    await drain(db, quick);
  });

  it("every claimed attempt is cut at its timeout: a tick whose calls hang still returns within its budget", async () => {
    const db = suite.db();
    const hanging = await startMany(db, "hanging", 5);

    // 1.5 s fits in a 2 s budget, so the steps are claimed; their calls never answer.
    const { value: result, ms } = await timed(() => tick(db, { budgetMs: 2_000 }));
    expect(ms).toBeLessThan(BOUND_MS);
    expect(result.claimed).toBe(5);
    expect(result.outcomes).toEqual({ retrying: 5 });
    for (const id of hanging) {
      const hang = stepOf(await getRun(db, id), "hang");
      expect(hang.status).toBe("queued");
      expect(hang.history).toMatchObject([{ attempt: 1, outcome: "failed", error: { name: "StepTimeoutError" } }]);
    }
    await cancelAll(db, hanging);
  });

  it("a worker with the default budget runs a step with the default timeout (30 s)", async () => {
    const db = suite.db();
    await register(db, "name: default_timeout\nsteps:\n  - name: say\n    emit: { topic: budget.default }\n");
    const { id } = await startRun(db, { workflow: "default_timeout" });
    const controller = new AbortController();
    const worker = runWorker(db, { signal: controller.signal, idleMaxMs: 100 });
    try {
      const deadline = Date.now() + 5_000;
      while ((await getRun(db, id)).status !== "succeeded" && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
    } finally {
      controller.abort();
      await worker;
    }
    const run = await getRun(db, id);
    expect(stepOf(run, "say").status).toBe("succeeded");
    expect(run.status).toBe("succeeded");
  });

  it("a worker with default options runs a step whose timeout is longer than its tick budget (here 10 min)", async () => {
    const db = suite.db();
    // A definition may set any timeout up to 30 days (an agent that calls back within the hour,
    // a slow export). The step must not sit in the queue forever because no tick budget fits it.
    await register(
      db,
      "name: long_timeout\nsteps:\n  - name: say\n    emit: { topic: budget.long }\n    timeout: 10m\n",
    );
    const { id } = await startRun(db, { workflow: "long_timeout" });
    const controller = new AbortController();
    const worker = runWorker(db, { signal: controller.signal, idleMaxMs: 100 });
    try {
      const deadline = Date.now() + 3_000;
      while ((await getRun(db, id)).status !== "succeeded" && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
    } finally {
      controller.abort();
      await worker;
    }
    const run = await getRun(db, id);
    expect(stepOf(run, "say").status, "the step was never claimed").toBe("succeeded");
    await cancelAll(db, [id]);
  });

  it("a busy worker still ends a due sleep on time (its sweeps are not starved by a long tick budget)", async () => {
    const db = suite.db();
    await register(
      db,
      "name: short_nap\nsteps:\n  - name: nap\n    sleep: 300ms\n  - name: after\n    depends_on: nap\n    emit: { topic: nap.woke }\n    timeout: 1s\n",
    );
    const nap = await startRun(db, { workflow: "short_nap" });
    // Chains of 400 runs: they outlast the sleep plus the allowed lag, yet end by themselves, so
    // a worker that starves the event loop (see the next test) delays this test, never hangs it.
    const busy = await startBusyWorker(db, 400);
    const started = Date.now();
    try {
      while (Date.now() - started < 5_000 && (await getRun(db, nap.id)).status !== "succeeded")
        await new Promise((r) => setTimeout(r, 20));
      // Stay busy a little longer, so that "still busy after the sleep ended" can be seen.
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await busy.stop();
    }
    const [t] = await queryRows<{ due: unknown; done: unknown }>(
      db,
      sql`select (select started_at + interval '300 milliseconds' from steps where run_id = ${nap.id} and name = 'nap') as due,
                 (select finished_at from runs where id = ${nap.id}) as done`,
    );
    const due = new Date(String(t!.due)).getTime();
    const done = t!.done === null ? null : new Date(String(t!.done)).getTime();
    // The worker ended the sleep soon after it was due...
    const lag = done === null ? Infinity : done - due;
    expect(
      lag,
      done === null ? "the sleep never ended while the worker was busy (5 s)" : `the sleep ended ${lag} ms late`,
    ).toBeLessThan(MAX_SLEEP_LAG_MS);
    // ...while it still had work, not because it ran out of it.
    expect(
      await busy.runsCreatedAfter(done ?? due),
      "the sleep only ended once the worker ran out of work",
    ).toBeGreaterThan(0);
  }, 30_000);

  it("a busy worker lets the rest of its process run (timers fire while it works)", async () => {
    const db = suite.db();
    const fires: number[] = [];
    const interval = setInterval(() => fires.push(Date.now()), 10);
    // Chains of 150 runs each: they end by themselves, so a worker that starves the event loop
    // cannot hang this test, it only delays it.
    const busy = await startBusyWorker(db, 150);
    const started = Date.now();
    try {
      while (fires.filter((f) => f >= started).length < 50 && !(await busy.chainsEnded()))
        await new Promise((r) => setTimeout(r, 20));
    } finally {
      clearInterval(interval);
      await busy.stop();
    }
    const [w] = await queryRows<{ first: unknown; last: unknown }>(
      db,
      sql`select min(created_at) as first, max(created_at) as last from runs where workflow = 'perpetual'`,
    );
    const first = new Date(String(w!.first)).getTime();
    const last = new Date(String(w!.last)).getTime();
    expect(last - first).toBeGreaterThan(200); // the worker was busy long enough to tell
    // A timer every 10 ms: about one per 10 ms of work; a loop that never yields gives none.
    const firedWhileBusy = fires.filter((f) => f > first + 50 && f < last).length;
    expect(firedWhileBusy).toBeGreaterThanOrEqual(Math.min(10, Math.floor((last - first - 50) / 40)));
  }, 60_000);
});
