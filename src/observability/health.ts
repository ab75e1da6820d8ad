import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { isDatabaseUnreachable } from "@/http/errors";
import { log } from "./log";
import pkg from "../../package.json";

/** Above this database round trip the platform reports itself degraded. */
const DEGRADED_LATENCY_MS = 1_000;
/** A health check never waits longer than this for the database. */
const CHECK_TIMEOUT_MS = 3_000;

export type HealthStatus = "ok" | "degraded" | "down";

export interface HealthReport {
  status: HealthStatus;
  checks: { database: { status: HealthStatus; latencyMs: number | null; error?: string } };
  version: string;
}

export function appVersion(): string {
  const commit = process.env.VERCEL_GIT_COMMIT_SHA?.slice(0, 7);
  return commit ? `${pkg.version}+${commit}` : pkg.version;
}

/** Measures a `select 1` round trip; a failure or a timeout means the database is down. */
export async function checkHealth(getDb: () => Promise<Db>): Promise<HealthReport> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`database check timed out after ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    });
    await Promise.race([getDb().then((db) => db.execute(sql`select 1`)), timeout]);
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    const status: HealthStatus = latencyMs > DEGRADED_LATENCY_MS ? "degraded" : "ok";
    return { status, checks: { database: { status, latencyMs } }, version: appVersion() };
  } catch (error) {
    log.warn("health check: database unreachable", { error, unreachable: isDatabaseUnreachable(error) });
    return {
      status: "down",
      checks: { database: { status: "down", latencyMs: null, error: "The database did not answer." } },
      version: appVersion(),
    };
  } finally {
    clearTimeout(timer);
  }
}
