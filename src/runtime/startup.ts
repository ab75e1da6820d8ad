/**
 * What a server process does once, before serving: check the configuration, and in local mode
 * apply migrations and make sure an admin key exists. On Vercel, migrations are applied by the
 * build (`npm run db:migrate` in vercel.json), not by every cold start.
 */
import { getDb, closeDb } from "@/db/client";
import { migrate } from "@/db/migrate";
import { sealLegacySiteOrders } from "@/projects/site-clients";
import { assertProductionConfig, isProduction } from "@/env";
import { bootstrapAdminKey } from "@/auth/bootstrap";
import { syncWorkflowFiles } from "@/engine/registry";
import { runWorker } from "./worker";
import { ensureWired } from "./wire";
import { log } from "@/observability/log";

const RETRY_MS = 5_000;

async function prepareLocal(): Promise<void> {
  const db = await getDb();
  const result = await migrate(db);
  if (result.applied.length > 0) log.info("migrations applied", { applied: result.applied });
  // Site orders stored in clear before they were encrypted (the SQL migration has no key to do it).
  await sealLegacySiteOrders(db);
  const admin = await bootstrapAdminKey(db);
  const line =
    admin.source === "env"
      ? "Admin API key: the value of ADMIN_API_KEY."
      : admin.created
        ? `Admin API key created and written to ${admin.location} (only its hash is stored; keep the file private).`
        : `Admin API key: in ${admin.location}`;
  process.stdout.write(line + "\n");
  await ensureWired();
  const workflows = await syncWorkflowFiles(db);
  if (workflows.length > 0) log.info("workflows loaded", { workflows });
  startLocalWorker();
}

const worker = new AbortController();
let workerDone: Promise<void> | undefined;

/** Local mode: the worker loop runs inside the server process (the embedded database is here). */
function startLocalWorker(): void {
  if (workerDone) return;
  workerDone = getDb().then((db) => runWorker(db, { signal: worker.signal }));
  workerDone.catch((error: unknown) => log.error("local worker stopped", { error }));
}

export async function startServer(): Promise<void> {
  assertProductionConfig();
  if (isProduction()) return;
  const attempt = async (): Promise<void> => {
    try {
      await prepareLocal();
    } catch (error) {
      // Serve anyway (health says 503) and keep trying: the database may come up later.
      log.error(`startup: database not ready, retrying in ${RETRY_MS / 1000} s`, { error });
      setTimeout(() => void attempt(), RETRY_MS).unref();
    }
  };
  await attempt();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      // Let the worker finish its tick, then close the embedded database cleanly so its files
      // are consistent on the next start.
      worker.abort();
      const stop = Promise.race([workerDone ?? Promise.resolve(), new Promise((r) => setTimeout(r, 5_000))]);
      void stop.then(() => closeDb()).finally(() => process.exit(0));
    });
  }
}
