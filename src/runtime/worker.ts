/**
 * The worker loop: tick after tick while there is work; when idle, wait with a doubling
 * delay (50 ms up to 2 s), cut short by a wake-up (in-process signal or Postgres NOTIFY).
 * Idle cost: one sweep and one claim per wait, so at most ~3 queries every 2 s per worker,
 * plus the alert rules' evaluation once a minute.
 */
import type { Db } from "@/db/client";
import { flushCalls } from "@/engine/kinds/agent";
import { tick, type TickOptions } from "@/engine/tick";
import { sleepUntilWoken } from "@/engine/wake";
import { log } from "@/observability/log";
import { flushMetrics } from "@/observability/metrics/record";
import { evaluateAlerts } from "@/operations/alerts/evaluate";
import { ensureWired } from "./wire";

export interface WorkerOptions {
  signal: AbortSignal;
  /** Budget of each tick (default 5 min; a step is only claimed by a tick whose budget fits its timeout). */
  budgetMs?: number;
  batchSize?: number;
  idleMinMs?: number;
  idleMaxMs?: number;
  /**
   * Evaluate the alert rules this often (default every minute, like the Vercel cron of
   * /api/alerts/evaluate; 0: never). Several workers may do it at once: a rule fires once per cooldown.
   */
  alertEvaluationMs?: number;
}

async function evaluateAlertsSafely(db: Db): Promise<void> {
  try {
    await evaluateAlerts(db);
  } catch (error) {
    log.warn("worker: alert evaluation failed", { error });
  }
}

export async function runWorker(db: Db, options: WorkerOptions): Promise<void> {
  await ensureWired();
  const idleMin = options.idleMinMs ?? 50;
  const idleMax = options.idleMaxMs ?? 2_000;
  const alertEvaluationMs = options.alertEvaluationMs ?? 60_000;
  const tickOptions: TickOptions = {
    budgetMs: options.budgetMs ?? 300_000,
    batchSize: options.batchSize,
    claimAnyTimeout: true,
  };
  let idle = idleMin;
  let lastAlertCheck = performance.now();
  while (!options.signal.aborted) {
    if (alertEvaluationMs > 0 && performance.now() - lastAlertCheck >= alertEvaluationMs) {
      lastAlertCheck = performance.now();
      await evaluateAlertsSafely(db);
    }
    try {
      const result = await tick(db, tickOptions);
      if (result.claimed > 0 || result.swept > 0) {
        idle = idleMin;
        continue;
      }
    } catch (error) {
      log.error("worker: tick failed", { error });
      idle = idleMax;
    }
    await sleepUntilWoken(idle, options.signal);
    idle = Math.min(idle * 2, idleMax);
  }
  // The last second of agent-call records and metric points, before the process ends.
  await Promise.all([flushCalls(db), flushMetrics(db)]);
}
