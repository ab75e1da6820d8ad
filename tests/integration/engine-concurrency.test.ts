/**
 * Exactly-once execution under contention (Postgres only: needs several processes on one
 * database). Four `npm run worker` processes and three in-test tick loops claim from the same
 * queue at once while 500 runs are started. No failure is injected, so no step may be retried:
 * every step must be called exactly once, with attempt 1, and never twice at the same time.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, queryRows, type Db, type DbHandle } from "@/db/client";
import { kickTick } from "@/engine/kick";
import { startRun } from "@/engine/start-run";
import { tick } from "@/engine/tick";
import { createPostgresDatabase } from "../helpers/db";
import { register } from "../helpers/engine";
import { spawnWorker, stopWorkers, waitForWorkersReady, workerErrors, type WorkerProc } from "../helpers/engine-proc";
import { startReceiver, type Receiver } from "../helpers/receiver";

const RUNS = 500;
const WORKERS = 4;
const TICK_LOOPS = 3;
const DONE_TIMEOUT_MS = 120_000;

/** What the steps and attempts look like, for a failure message. */
async function diagnose(db: Db): Promise<string> {
  const steps = await queryRows(
    db,
    sql`select name, status, attempts, count(*)::int as n from steps group by 1, 2, 3 order by 1, 2, 3`,
  );
  const attempts = await queryRows(
    db,
    sql`select outcome, attempt, error->>'message' as message, count(*)::int as n from step_attempts group by 1, 2, 3 order by 4 desc limit 10`,
  );
  return `steps: ${JSON.stringify(steps)}\nattempts: ${JSON.stringify(attempts)}`;
}

describe.skipIf(!process.env.TEST_DATABASE_URL)("engine concurrency [postgres]", () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>> | undefined;
  let handle: DbHandle | undefined;
  let receiver: Receiver | undefined;
  const workers: WorkerProc[] = [];
  const previousAllowedHosts = process.env.HTTP_STEP_ALLOWED_HOSTS;

  beforeAll(async () => {
    database = await createPostgresDatabase({ migrated: true });
    handle = await openDb(database.url, "pg", { maxConnections: 12 });
    // Each call is held 5–20 ms, so attempts really are in flight while others claim.
    receiver = await startReceiver(() => 5 + Math.floor(Math.random() * 16));
    process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
  });

  afterAll(async () => {
    await stopWorkers(workers);
    await receiver?.close();
    await handle?.close();
    await database?.drop();
    if (previousAllowedHosts === undefined) delete process.env.HTTP_STEP_ALLOWED_HOSTS;
    else process.env.HTTP_STEP_ALLOWED_HOSTS = previousAllowedHosts;
  });

  it(
    "runs every step of 500 runs exactly once across four worker processes and concurrent ticks, never two attempts of a step at once",
    async () => {
      const db = handle!.db;
      const base = receiver!.base;
      // A tick only claims steps whose timeout fits its budget: the in-test ticks get 12 s for
      // these 10 s timeouts. The timeout is far above the 5–20 ms the receiver holds a call, so
      // that even on a saturated machine no attempt times out (a timeout would be a legitimate
      // retry, and this test allows none).
      await register(
        db,
        `
name: contended
steps:
  - name: first
    http: { url: "${base}/first", body: { run: "{{ run.id }}" } }
    timeout: 10s
    retry: { max_attempts: 3, initial_interval: 10ms, max_interval: 10ms }
  - name: second
    depends_on: first
    for_each: "{{ input.items }}"
    http: { url: "${base}/second/{{ item }}", body: { after: "{{ steps.first.output.body.key }}" } }
    timeout: 10s
    retry: { max_attempts: 3, initial_interval: 10ms, max_interval: 10ms }
`,
      );

      for (let i = 0; i < WORKERS; i++) workers.push(spawnWorker(database!.url));
      await waitForWorkersReady(db, workers);

      let stop = false;
      let inTestClaimed = 0;
      const loops = Array.from({ length: TICK_LOOPS }, async () => {
        while (!stop) {
          const result = await tick(db, { budgetMs: 12_000 });
          inTestClaimed += result.claimed;
          if (result.claimed === 0 && result.swept === 0) await new Promise((r) => setTimeout(r, 10));
        }
      });
      // If a loop throws, stop the others and fail with its error rather than a timeout.
      let loopFailed = false;
      const loopsDone = Promise.all(loops).catch((error: unknown) => {
        loopFailed = true;
        throw error;
      });

      const started = performance.now();
      const runIds: string[] = [];
      try {
        // Runs arrive while the workers and ticks are already claiming; each chunk wakes the
        // workers the way the start route does (NOTIFY).
        for (let i = 0; i < RUNS; i += 25) {
          const chunk = await Promise.all(
            Array.from({ length: Math.min(25, RUNS - i) }, () =>
              startRun(db, { workflow: "contended", input: { items: ["x", "y"] } }),
            ),
          );
          runIds.push(...chunk.map((r) => r.id));
          await kickTick(db);
        }

        const deadline = Date.now() + DONE_TIMEOUT_MS;
        for (;;) {
          const counts = await queryRows<{ status: string; n: unknown }>(
            db,
            sql`select status, count(*)::int as n from runs group by status`,
          );
          const by = Object.fromEntries(counts.map((c) => [c.status, Number(c.n)]));
          if ((by.succeeded ?? 0) === RUNS) break;
          if ((by.failed ?? 0) > 0 || Date.now() > deadline || loopFailed) {
            throw new Error(
              `runs not done after ${Math.round(performance.now() - started)} ms: ${JSON.stringify(by)}\n${await diagnose(db)}\n${workerErrors(workers).slice(0, 5).join("\n")}`,
            );
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        stop = true;
        await loopsDone;
      }

      // The workers were alive throughout and logged no error (e.g. a result they could not record).
      expect(workers.map((w) => w.alive())).toEqual(Array(WORKERS).fill(true));
      expect(workerErrors(workers)).toEqual([]);

      // Both kinds of claimer took part. Per run: `first`, the for_each parent `second` (which
      // only expands, no call) and its two items.
      const totalCalls = RUNS * 3;
      const totalSteps = RUNS * 4;
      expect(inTestClaimed).toBeGreaterThan(0);
      expect(inTestClaimed).toBeLessThan(totalSteps);

      // The receiver: one call per step, attempt 1, and no call ever overlapped another with the same key.
      const r = receiver!;
      expect(r.overlaps).toEqual([]);
      const expectedKeys = runIds.flatMap((id) => [`${id}:first`, `${id}:second:0`, `${id}:second:1`]).sort();
      const counts = r.countsByKey();
      expect([...counts.keys()].sort()).toEqual(expectedKeys);
      expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([]);
      expect(r.calls.filter((c) => c.attempt !== 1 || c.outcome !== "answered")).toEqual([]);
      // Templates saw the right output: `second` of each run was called after its own `first`.
      expect(
        r.calls.filter(
          (c) => c.path.startsWith("/second/") && JSON.parse(c.body).after !== c.key.replace(/:second:\d$/, ":first"),
        ),
      ).toEqual([]);

      // The database: every step succeeded, each call on attempt 1 with exactly one recorded
      // attempt (the for_each parent only expanded: no attempt).
      const steps = await queryRows<{ name: string; item: boolean; status: string; attempts: unknown; n: unknown }>(
        db,
        sql`select name, item_index >= 0 as item, status, attempts, count(*)::int as n from steps group by 1, 2, 3, 4 order by 1, 2`,
      );
      expect(
        steps.map((s) => ({
          name: s.name,
          item: s.item,
          status: s.status,
          attempts: Number(s.attempts),
          n: Number(s.n),
        })),
      ).toEqual([
        { name: "first", item: false, status: "succeeded", attempts: 1, n: RUNS },
        { name: "second", item: false, status: "succeeded", attempts: 0, n: RUNS },
        { name: "second", item: true, status: "succeeded", attempts: 1, n: RUNS * 2 },
      ]);
      const attempts = await queryRows<{ outcome: string; attempt: unknown; n: unknown }>(
        db,
        sql`select outcome, attempt, count(*)::int as n from step_attempts group by outcome, attempt`,
      );
      expect(attempts.map((a) => ({ outcome: a.outcome, attempt: Number(a.attempt), n: Number(a.n) }))).toEqual([
        { outcome: "succeeded", attempt: 1, n: totalCalls },
      ]);
      const [perStep] = await queryRows<{ steps_with_one: unknown; fences: unknown }>(
        db,
        sql`select (select count(*)::int from (select step_id from step_attempts group by step_id having count(*) = 1) x) as steps_with_one,
                   (select count(distinct fence)::int from step_attempts) as fences`,
      );
      expect(Number(perStep!.steps_with_one)).toBe(totalCalls);
      expect(Number(perStep!.fences)).toBe(totalCalls);
      // Outputs reached the parents: each `second` holds its two items' answers, in order.
      const [wrongOutputs] = await queryRows<{ n: unknown }>(
        db,
        sql`select count(*)::int as n from steps where name = 'second' and item_index = -1
              and output <> jsonb_build_array(
                    jsonb_build_object('status', 200, 'body', jsonb_build_object('key', run_id || ':second:0', 'attempt', 1, 'path', '/second/x')),
                    jsonb_build_object('status', 200, 'body', jsonb_build_object('key', run_id || ':second:1', 'attempt', 1, 'path', '/second/y')))`,
      );
      expect(Number(wrongOutputs!.n)).toBe(0);
      const [remaining] = await queryRows<{ n: unknown }>(
        db,
        sql`select count(*)::int as n from runs where steps_remaining <> 0`,
      );
      expect(Number(remaining!.n)).toBe(0);
    },
    DONE_TIMEOUT_MS + 60_000,
  );
});
