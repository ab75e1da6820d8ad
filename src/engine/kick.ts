/**
 * After new work appears (a run started, an event published, a tick that left work behind):
 * wake this process's workers, and where workers are not resident (Vercel), call the tick
 * route so the work starts now rather than at the next cron (which previews never get).
 */
import type { Db } from "@/db/client";
import { getSecret, isProduction } from "@/env";
import { SelfCallUnavailable, selfFetch } from "@/integrations/self-call";
import { log } from "@/observability/log";
import { notifyWorkers } from "./sql/notify-workers";
import { wakeLocalWorkers } from "./wake";

const KICK_TIMEOUT_MS = 2_000;

/** Why the tick route is called: new or freed work (`kick`), or a tick that left work behind (`continuation`). */
export type KickOrigin = "kick" | "continuation";

/** The header that carries the KickOrigin to the tick route. */
export const TICK_ORIGIN_HEADER = "x-tick-origin";

/** True where no worker loop lives in the server process (serverless). */
export function usesTickRoute(): boolean {
  return isProduction();
}

/**
 * `db`: also NOTIFY the workers of other processes that LISTEN on a direct connection.
 * `origin`: what the tick route is told (header `x-tick-origin`); `kick` by default.
 */
export async function kickTick(db?: Db, origin: KickOrigin = "kick"): Promise<void> {
  wakeLocalWorkers();
  // A wake-up is a shortcut, not the delivery of the work (the run is committed; polling workers
  // and the cron find it): a failed NOTIFY (pool exhausted, database blip) is logged and the kick
  // goes on to call the tick route, instead of skipping the one call that matters on Vercel.
  if (db) {
    try {
      await notifyWorkers(db);
    } catch (error) {
      log.warn("kick: NOTIFY to the workers failed; they find the work when they poll", { error });
    }
  }
  if (!usesTickRoute()) return;
  try {
    // Only the request needs to reach the route (it answers 202 before ticking).
    const res = await selfFetch("/api/orchestration/tick", {
      method: "POST",
      headers: { authorization: `Bearer ${getSecret("CRON_SECRET")}`, [TICK_ORIGIN_HEADER]: origin },
      signal: AbortSignal.timeout(KICK_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (!res.ok) {
      log.warn("kick: the tick route refused the call; work waits for the cron", {
        status: res.status,
        hint:
          res.status === 401 || res.status === 403
            ? "check VERCEL_AUTOMATION_BYPASS_SECRET (Deployment Protection) and CRON_SECRET"
            : undefined,
      });
    }
  } catch (error) {
    if (error instanceof SelfCallUnavailable) log.warn("kick: PUBLIC_BASE_URL is not set; work waits for the cron");
    else log.warn("kick: the tick route did not answer in time", { error });
  }
}
