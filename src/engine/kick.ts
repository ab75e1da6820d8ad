/**
 * After new work appears (a run started, an event published, a tick that left work behind):
 * wake this process's workers, and where workers are not resident (Vercel), call the tick
 * route so the work starts now rather than at the next cron.
 */
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { getSecret, isProduction, publicBaseUrl } from "@/env";
import { log } from "@/observability/log";
import { WAKE_CHANNEL, wakeLocalWorkers } from "./wake";

const KICK_TIMEOUT_MS = 2_000;

/** True where no worker loop lives in the server process (serverless). */
export function usesTickRoute(): boolean {
  return isProduction();
}

/** `db`: also NOTIFY the workers of other processes that LISTEN on a direct connection. */
export async function kickTick(db?: Db): Promise<void> {
  wakeLocalWorkers();
  if (db) await db.execute(sql`select pg_notify(${WAKE_CHANNEL}, '')`);
  if (!usesTickRoute()) return;
  const base = publicBaseUrl();
  if (!base) {
    log.warn("kick: PUBLIC_BASE_URL is not set; work waits for the cron");
    return;
  }
  try {
    // Only the request needs to reach the route; its answer does not matter here.
    await fetch(new URL("/api/orchestration/tick", base), {
      method: "POST",
      headers: { authorization: `Bearer ${getSecret("CRON_SECRET")}` },
      signal: AbortSignal.timeout(KICK_TIMEOUT_MS),
    });
  } catch (error) {
    log.warn("kick: the tick route did not answer in time", { error });
  }
}
