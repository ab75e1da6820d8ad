// `npm run worker`: a standalone worker for self-hosting. Run any number of them (and of app
// instances) against one Postgres: claims use FOR UPDATE SKIP LOCKED and leases, so they never
// run the same attempt at once, and a worker that dies has its work taken over when its leases
// expire. It LISTENs for wake-ups on a direct connection and otherwise polls with backoff.
import pg from "pg";
import { chooseDriver, openDb } from "@/db/client";
import { syncWorkflowFiles } from "@/engine/registry";
import { WAKE_CHANNEL, wakeLocalWorkers } from "@/engine/wake";
import { ensureWired } from "@/runtime/wire";
import { runWorker } from "@/runtime/worker";
import { assertProductionConfig, readEnv } from "@/env";
import { log } from "@/observability/log";

assertProductionConfig();
const env = readEnv();
const driver = chooseDriver(env.DATABASE_URL, env.DATABASE_DRIVER);
if (driver === "pglite") {
  console.error(
    "npm run worker needs DATABASE_URL: the embedded database belongs to the `npm start` process, which runs its own worker.",
  );
  process.exit(2);
}
const handle = await openDb(env.DATABASE_URL, driver);
const controller = new AbortController();
let listener: pg.Client | undefined;
if (driver === "pg") {
  listener = new pg.Client({ connectionString: env.DATABASE_URL });
  listener.on("error", (error) => log.warn("worker: LISTEN connection lost; polling only", { error }));
  await listener.connect();
  listener.on("notification", () => wakeLocalWorkers());
  await listener.query(`listen ${WAKE_CHANNEL}`);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => controller.abort());
await ensureWired();
if (process.env.WORKER_SYNC_WORKFLOWS !== "0") await syncWorkflowFiles(handle.db);
log.info("worker started", { driver, pid: process.pid });
await runWorker(handle.db, {
  signal: controller.signal,
  budgetMs: Number(process.env.WORKER_TICK_BUDGET_MS ?? 300_000),
  batchSize: Number(process.env.WORKER_BATCH_SIZE ?? 20),
});
await listener?.end();
await handle.close();
log.info("worker stopped", { pid: process.pid });
