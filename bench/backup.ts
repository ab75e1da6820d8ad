/**
 * `npm run bench:backup`: backup and restore throughput on a real Postgres (BENCH_DATABASE_URL,
 * default the local server). A fresh `bench_backup` database gets BENCH_BACKUP_RUNS finished runs
 * (default 20,000) with 4 steps of one attempt each, and as many events; the platform_backup
 * workflow then runs through the engine (inline agents, ticks back to back) to a local folder,
 * and the backup is restored into a fresh empty `bench_backup_restore`. Prints rows/s and MB/s of
 * each, and the manifest's path (for `npm run backup:restore`).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { openDb, queryRows, setDbHandle } from "@/db/client";
import { migrate } from "@/db/migrate";
import { restoreKey } from "@/backups/config";
import { localReader, restoreBackup } from "@/backups/restore";
import { syncWorkflowFiles } from "@/engine/registry";
import { getRun } from "@/engine/runs";
import { startRun } from "@/engine/start-run";
import { tick } from "@/engine/tick";
import { ensureWired } from "@/runtime/wire";
import { benchDatabaseUrl, freshDatabase } from "./database";

const RUNS = Number(process.env.BENCH_BACKUP_RUNS ?? 20_000);

process.env.DATA_DIR ??= mkdtempSync(path.join(os.tmpdir(), "bench-backup-"));
process.env.BACKUP_DIR ??= path.join(process.env.DATA_DIR, "backups");
process.env.BACKUP_KEY ??= randomBytes(32).toString("base64");
process.env.LOG_LEVEL ??= "error";

await freshDatabase("bench_backup");
await freshDatabase("bench_backup_restore");
const source = await openDb(benchDatabaseUrl("bench_backup"), "pg");
setDbHandle(source);
const db = source.db;
await migrate(db);
await ensureWired();
await syncWorkflowFiles(db);

// Finished runs with their steps and attempts, and events, written set-based.
await db.execute(sql`
  insert into runs (id, workflow, version, status, input, output, trigger, steps_remaining, created_at, started_at, finished_at)
  select gen_random_uuid(), 'bench_flow', 1, 'succeeded', jsonb_build_object('n', g, 'note', 'benchmark input ' || g),
         jsonb_build_object('ok', true), '{"type":"manual"}'::jsonb, 0, now() - interval '1 day', now() - interval '1 day', now() - interval '1 day'
  from generate_series(1, ${RUNS}) g`);
await db.execute(sql`
  insert into steps (run_id, name, kind, status, attempts, max_attempts, timeout_ms, output, started_at, finished_at)
  select r.id, 's' || s, 'agent', 'succeeded', 1, 3, 30000, jsonb_build_object('step', s, 'value', md5(r.id::text || s)),
         now() - interval '1 day', now() - interval '1 day'
  from runs r cross join generate_series(1, 4) s`);
await db.execute(sql`
  insert into step_attempts (step_id, attempt, fence, outcome, started_at, finished_at, duration_ms)
  select id, 1, id, 'succeeded', now() - interval '1 day', now() - interval '1 day', 12 from steps`);
await db.execute(sql`
  insert into events (topic, data, source)
  select 'bench.event', jsonb_build_object('n', g, 'payload', repeat('x', 64)), 'bench' from generate_series(1, ${RUNS}) g`);
await db.execute(sql`analyze`);

const started = performance.now();
const run = await startRun(db, { workflow: "platform_backup", input: { trigger: "manual", requestedBy: "bench" } });
for (;;) {
  const state = await getRun(db, run.id);
  if (state.status !== "running" && state.status !== "queued") {
    if (state.status !== "succeeded") throw new Error(`backup ${state.status}: ${JSON.stringify(state.error)}`);
    break;
  }
  await tick(db, { budgetMs: 60_000, alwaysSweep: true });
}
const backupMs = performance.now() - started;
const [backup] = await queryRows<{
  rows: string;
  bytes: string;
  parts: number;
  verified_at: unknown;
  finished_at: unknown;
}>(db, sql`select rows, bytes, parts, verified_at, finished_at from backups where id = ${run.id}`);
await source.close();
setDbHandle(undefined);

const target = await openDb(benchDatabaseUrl("bench_backup_restore"), "pg");
const manifest = path.join(process.env.BACKUP_DIR, run.id, "manifest.json");
const restored = await restoreBackup(target.db, localReader(manifest), { key: restoreKey(undefined) });
await target.close();

const rows = Number(backup!.rows);
const bytes = Number(backup!.bytes);
const mb = (n: number) => (n / 1e6).toFixed(1);
console.log(`source: ${RUNS} runs, ${rows} rows in all tables`);
console.log(
  `backup (plan, ${backup!.parts} parts, manifest, read-back verification, through the engine): ${(backupMs / 1000).toFixed(1)} s, ` +
    `${Math.round(rows / (backupMs / 1000))} rows/s, ${mb(bytes)} MB written (${mb(bytes / (backupMs / 1000))} MB/s encrypted), ` +
    `${mb(restored.rawBytes)} MB of rows (${mb(restored.rawBytes / (backupMs / 1000))} MB/s of NDJSON)`,
);
console.log(
  `restore (verify, insert, sequences, one transaction): ${(restored.durationMs / 1000).toFixed(1)} s, ` +
    `${Math.round(restored.rows / (restored.durationMs / 1000))} rows/s, ${mb(restored.rawBytes / (restored.durationMs / 1000))} MB/s of NDJSON, ` +
    `${mb(restored.bytes / (restored.durationMs / 1000))} MB/s of parts; ${restored.skipped} skipped`,
);
console.log(`manifest: ${manifest}`);
