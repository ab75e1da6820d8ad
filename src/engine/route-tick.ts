/**
 * Ticks of the tick route (serverless: no resident worker). Every path that creates work kicks
 * a tick, so a burst of starts (500 site orders, a Shopify backlog) sends a burst of kicks; each
 * would start its own tick claiming up to a batch of steps at once, and one instance would run
 * hundreds of ticks and thousands of steps together until their timeouts and leases expired
 * (seen in the rehearsal: a retry storm). A tick loops until nothing is ready, so one process
 * needs only a few: beyond `TICK_CONCURRENCY` (default 4) a kick is coalesced into the running
 * ticks (woken from a carried wait; the last one to end continues itself if a kick came
 * meanwhile). `TICK_BATCH_SIZE` bounds what one tick claims at once.
 */
import type { Db } from "@/db/client";
import { readEnv } from "@/env";
import { kickTick } from "./kick";
import { tick, type TickResult } from "./tick";
import { tickBudgetMs, tickCarryMs } from "./tick-budget";
import { wakeLocalWorkers } from "./wake";

export type TickOrigin = "cron" | "continuation" | "kick";

const KEY = Symbol.for("agent-orchestrator.route-ticks");
const g = globalThis as typeof globalThis & { [KEY]?: { running: number; missed: boolean } };
const state = (g[KEY] ??= { running: 0, missed: false });

/**
 * Work may remain: the budget ran out, steps were claimed (their successors may now be ready),
 * or a timer falls due within the carry horizon (a tick cut short by its budget hands it on).
 */
function mayHaveMore(result: TickResult, carryMs: number): boolean {
  return result.budgetExhausted || result.claimed > 0 || (result.nextDueInMs !== null && result.nextDueInMs <= carryMs);
}

/**
 * One route tick, or `{ coalesced: true }` when this process already runs its share.
 * `later` schedules the continuation after the response (the route passes `afterResponse`).
 */
export async function runRouteTick(
  db: Db,
  origin: TickOrigin,
  options: { alwaysSweep: boolean; later: (work: () => Promise<unknown>) => void },
): Promise<TickResult | { coalesced: true }> {
  const env = readEnv();
  if (state.running >= env.TICK_CONCURRENCY) {
    state.missed = true;
    wakeLocalWorkers();
    return { coalesced: true };
  }
  const carryMs = tickCarryMs();
  state.running++;
  let result: TickResult;
  try {
    result = await tick(db, {
      budgetMs: tickBudgetMs(),
      alwaysSweep: options.alwaysSweep,
      flushCallRecords: true,
      carryTimersMs: carryMs,
      origin,
      batchSize: env.TICK_BATCH_SIZE,
    });
  } finally {
    state.running--;
  }
  const missed = state.missed && state.running === 0;
  if (missed) state.missed = false;
  if (missed || mayHaveMore(result, carryMs)) options.later(() => kickTick(db, "continuation"));
  return result;
}
