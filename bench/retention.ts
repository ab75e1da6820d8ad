/**
 * `npm run bench:retention`: the pruning rate of retention on a real Postgres
 * (BENCH_DATABASE_URL, default the local server; a fresh database `bench_retention` each time).
 *
 * Seeds (in SQL) BENCH_RUNS finished runs (default 100,000) finished 40 to 70 days ago, each with
 * 3 steps and 2 attempts per step (900,000 rows with their runs), plus 1,000 recent finished runs
 * and 1,000 unfinished old ones that must stay, and one project per 100 old runs (whose runs
 * retention keeps: the project's page reads them); then
 * - prints the EXPLAIN (ANALYZE, on a rolled-back copy) of the runs batch statement, and the
 *   plan of every other table's batch over a modest history of each (200,000 events, 100,000
 *   deliveries, 50,000 outbox messages, 100,000 agent calls, 50,000 audit entries, 100,000
 *   metric points, 50,000 metric minutes, 20,000 Shopify deliveries, 2,000 data exports, 20,000
 *   replay-guard entries);
 * - runs one default pass (RETENTION_PASS_BUDGET_MS, 2 s) and reports what it deleted;
 * - prunes the rest with passes of 10 s and reports the rate: runs/s and rows/s (runs, steps
 *   and attempts together), over the whole backlog;
 * - checks that every recent and unfinished run is still there.
 */
import { sql } from "drizzle-orm";
import { openDb, queryRows, setDbHandle, type Db } from "@/db/client";
import { migrate } from "@/db/migrate";
import { readEnv } from "@/env";
import { runRetention } from "@/operations/retention/prune";
import { chooseBatch, RETENTION_TARGETS } from "@/operations/retention/targets";
import { freshDatabase } from "./database";

const RUNS = Number(process.env.BENCH_RUNS ?? 100_000);

async function seed(db: Db): Promise<void> {
  // Old finished runs, then 1,000 recent finished ones and 1,000 old unfinished ones.
  await db.execute(sql`insert into runs (id, workflow, version, status, trigger, steps_remaining, created_at, started_at, finished_at)
    select gen_random_uuid(), 'bench', 1, case when i % 10 = 0 then 'failed' else 'succeeded' end, '{"type":"manual"}'::jsonb, 0,
           now() - interval '40 days' - i * (interval '30 days' / ${RUNS}), now() - interval '40 days' - i * (interval '30 days' / ${RUNS}),
           now() - interval '40 days' - i * (interval '30 days' / ${RUNS}) + interval '10 seconds'
    from generate_series(1, ${RUNS}) i`);
  await db.execute(sql`insert into runs (id, workflow, version, status, trigger, steps_remaining, created_at, started_at, finished_at)
    select gen_random_uuid(), 'bench-kept', 1, case when i % 2 = 0 then 'succeeded' else 'waiting' end, '{"type":"manual"}'::jsonb,
           case when i % 2 = 0 then 0 else 1 end,
           now() - case when i % 2 = 0 then interval '1 day' else interval '60 days' end, now() - interval '60 days',
           case when i % 2 = 0 then now() - interval '1 day' end
    from generate_series(1, 2000) i`);
  await db.execute(sql`insert into steps (run_id, name, kind, status, attempts, max_attempts, timeout_ms, input, output, started_at, finished_at)
    select r.id, 's' || s, 'agent', case when r.status = 'waiting' then 'waiting' else 'succeeded' end, 2, 3, 30000,
           jsonb_build_object('step', s), jsonb_build_object('ok', true), r.started_at, r.finished_at
    from runs r cross join generate_series(0, 2) s`);
  await db.execute(sql`insert into step_attempts (step_id, attempt, fence, outcome, started_at, finished_at, duration_ms)
    select st.id, a, st.id * 10 + a, case when a = 1 then 'failed' else 'succeeded' end, st.started_at, st.started_at + interval '1 second', 1000
    from steps st cross join generate_series(1, 2) a`);
  await db.execute(sql`insert into projects (token_hash, payment_status, run_id, created_at)
    select 'bench', 'test_mode', id, created_at from runs where workflow = 'bench' and (extract(epoch from created_at)::bigint % 100) = 0`);
  await db.execute(sql`insert into events (topic, data, source, created_at)
    select 'topic.' || (i % 20), jsonb_build_object('i', i), 'bench', now() - i * interval '26 seconds' from generate_series(1, 200000) i`);
  await db.execute(
    sql`insert into event_subscriptions (topic_pattern, url, secret) values ('*', 'https://hooks.example/bench', 'enc')`,
  );
  await db.execute(sql`insert into event_deliveries (subscription_id, event_id, status, attempts, created_at)
    select (select id from event_subscriptions limit 1), e.id, case when e.id % 100 = 0 then 'pending' when e.id % 50 = 0 then 'dead' else 'delivered' end, 1, e.created_at
    from events e where e.id % 2 = 0`);
  await db.execute(sql`insert into outbox (channel, recipient, subject, body, status, attempts, created_at)
    select 'email', 'ops@example.com', 'Message ' || i, 'body', case when i % 50 = 0 then 'pending' else 'sent' end, 1, now() - i * interval '104 seconds'
    from generate_series(1, 50000) i`);
  await db.execute(sql`insert into agent_calls (agent, action, outcome, duration_ms, at)
    select 'core', 'noop', 'succeeded', 50, now() - i * interval '1728 milliseconds' from generate_series(1, 100000) i`);
  await db.execute(sql`insert into audit_log (at, actor, action, outcome)
    select now() - i * interval '1 day' / 10, 'key:bench', 'bench', 200 from generate_series(1, 50000) i`);
  await db.execute(sql`insert into metric_points (name, at, value, recorded_at)
    select 'step.duration', now() - i * interval '1728 milliseconds', 10, now() - i * interval '1728 milliseconds' from generate_series(1, 100000) i`);
  await db.execute(sql`insert into metric_rollup_state (id, watermark) values (1, now())`);
  await db.execute(sql`insert into metric_minutes (name, bucket, count, sum, min, max, errors, p50, p95, p99)
    select 'step.duration', date_trunc('minute', now()) - m * interval '1 minute', 1, 1, 1, 1, 0, 1, 1, 1 from generate_series(1, 50000) m`);
  await db.execute(sql`insert into shopify_deliveries (shop_domain, webhook_id, topic, status, received_at)
    select 'bench.myshopify.com', 'w' || i, 'orders/create', case when i % 100 = 0 then 'failed' else 'processed' end, now() - i * interval '1 minute'
    from generate_series(1, 20000) i`);
  await db.execute(sql`insert into data_exports (shop_domain, request_id, payload, created_at)
    select 'bench.myshopify.com', 'r' || i, 'enc', now() - i * interval '1 hour' from generate_series(1, 2000) i`);
  await db.execute(sql`insert into seen_signatures (mac, expires_at)
    select 'mac' || i, now() - i * interval '1 second' + interval '5 minutes' from generate_series(1, 20000) i`);
  await db.execute(sql`vacuum analyze`);
}

async function counts(
  db: Db,
): Promise<{ runs: number; steps: number; attempts: number; kept: number; projects: number }> {
  const [row] = await queryRows<Record<string, unknown>>(
    db,
    sql`select (select count(*) from runs)::int as runs, (select count(*) from steps)::int as steps,
      (select count(*) from step_attempts)::int as attempts, (select count(*) from runs where workflow = 'bench-kept')::int as kept,
      (select count(*) from projects p join runs r on r.id = p.run_id)::int as projects`,
  );
  return {
    runs: Number(row?.runs),
    steps: Number(row?.steps),
    attempts: Number(row?.attempts),
    kept: Number(row?.kept),
    projects: Number(row?.projects),
  };
}

async function explainBatch(db: Db): Promise<string> {
  const runs = RETENTION_TARGETS.find((t) => t.table === "runs")!;
  const cutoff = new Date(Date.now() - 30 * 86_400_000);
  // ANALYZE executes the delete: inside a transaction that is rolled back.
  let plan = "";
  await db
    .transaction(async (tx) => {
      const rows = await queryRows<{ "QUERY PLAN": string }>(
        tx,
        sql`explain (analyze, costs off, timing off, summary on) with doomed as (${chooseBatch(runs, cutoff, runs.batch)}),
          gone_attempts as (delete from step_attempts a using steps s, doomed d where a.step_id = s.id and s.run_id = d.id returning 1),
          gone_steps as (delete from steps s using doomed d where s.run_id = d.id returning 1),
          gone_runs as (delete from runs r using doomed d where r.id = d.id returning 1)
          select (select count(*) from gone_runs), (select count(*) from gone_steps), (select count(*) from gone_attempts)`,
      );
      plan = rows.map((r) => r["QUERY PLAN"]).join("\n");
      throw new Error("rollback");
    })
    .catch((error: unknown) => {
      if (!(error instanceof Error && error.message === "rollback")) throw error;
    });
  return plan;
}

/** The plan of each other table's batch (EXPLAIN without running it). */
async function explainOthers(db: Db): Promise<string> {
  const out: string[] = [];
  for (const target of RETENTION_TARGETS.filter((t) => t.table !== "runs")) {
    const cutoff = new Date(Date.now() - (target.retentionDays(readEnv()) ?? 0) * 86_400_000);
    const rows = await queryRows<{ "QUERY PLAN": string }>(
      db,
      sql`explain (costs off) delete from ${sql.raw(target.table)} where ${sql.raw(target.key)} = any(array(${chooseBatch(target, cutoff, target.batch)}))`,
    );
    out.push(`-- ${target.table}\n${rows.map((r) => r["QUERY PLAN"]).join("\n")}`);
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  process.env.LOG_LEVEL = "warn";
  const url = await freshDatabase("bench_retention");
  const handle = await openDb(url, "pg");
  setDbHandle(handle);
  const db = handle.db;
  await migrate(db);
  const seeding = performance.now();
  await seed(db);
  const before = await counts(db);
  console.log(
    JSON.stringify({ setup: { ...before, seedSeconds: Math.round((performance.now() - seeding) / 100) / 10 } }),
  );
  if (process.env.BENCH_EXPLAIN !== "0") {
    console.log(`-- runs batch (${RETENTION_TARGETS[0]!.batch} runs)\n${await explainBatch(db)}`);
    console.log(await explainOthers(db));
  }

  // One pass as the chore runs it (default budget).
  const first = performance.now();
  const [pass] = await runRetention(db, { tables: ["runs"], force: true });
  console.log(
    JSON.stringify({
      defaultPass: {
        runs: pass?.deleted,
        ...pass?.detail,
        batches: pass?.batches,
        ms: Math.round(performance.now() - first),
      },
    }),
  );

  // The rest, in passes of 10 s (the same batches), timed over the whole backlog.
  const started = performance.now();
  let passes = 0;
  for (;;) {
    const [p] = await runRetention(db, { tables: ["runs"], force: true, budgetMs: 10_000, maxBatches: 1_000_000 });
    passes++;
    if (!p || p.error) throw new Error(`pass failed: ${p?.error ?? "not claimed"}`);
    if (p.caughtUp) break;
  }
  const seconds = (performance.now() - started) / 1000;
  const after = await counts(db);
  const runs = before.runs - after.runs - (pass?.deleted ?? 0);
  const rows =
    before.runs +
    before.steps +
    before.attempts -
    (after.runs + after.steps + after.attempts) -
    ((pass?.deleted ?? 0) + (pass?.detail?.steps ?? 0) + (pass?.detail?.stepAttempts ?? 0));
  console.log(
    JSON.stringify({
      backlog: {
        runs,
        rows,
        passes,
        seconds: Math.round(seconds * 10) / 10,
        runsPerSecond: Math.round(runs / seconds),
        rowsPerSecond: Math.round(rows / seconds),
      },
      left: after,
      keptIntact: after.kept === 2000 && after.projects === before.projects && after.runs === 2000 + before.projects,
    }),
  );
  setDbHandle(undefined);
  await handle.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
