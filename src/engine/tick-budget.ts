/**
 * How long one tick of the tick route may run, and so which steps can ever run on a
 * serverless deployment (no resident worker: a step runs inside one tick).
 *
 * The budget follows the route's real `maxDuration`, read from vercel.json (the value Vercel
 * deploys; the route's own `export const maxDuration` is kept equal by a test). With Fluid
 * compute that is up to 300 s on Hobby and 800 s on Pro: raise it in vercel.json on Pro and the
 * budget follows. `TICK_BUDGET_MS` may lower the budget, never raise it past the cap.
 */
import vercelConfig from "../../vercel.json";
import { readEnv } from "@/env";

export const TICK_ROUTE_FILE = "src/app/api/orchestration/tick/route.ts";
/** What the budget leaves of maxDuration: recording the last results, the response, the continuation kick. */
export const TICK_RESERVE_MS = 10_000;
/** Time a tick keeps back from its budget to record the last results (tick.ts). */
export const RECORD_MARGIN_MS = 150;

const functions = vercelConfig.functions as Record<string, { maxDuration?: number } | undefined>;

/** The tick route's maxDuration in seconds, as deployed (vercel.json; Vercel's Fluid default 300 s otherwise). */
export function tickRouteMaxDurationS(): number {
  return functions[TICK_ROUTE_FILE]?.maxDuration ?? 300;
}

/** The budget of one route tick: TICK_BUDGET_MS when set, capped below the route's maxDuration. */
export function tickBudgetMs(source: NodeJS.ProcessEnv = process.env): number {
  const cap = tickRouteMaxDurationS() * 1_000 - TICK_RESERVE_MS;
  return Math.min(readEnv(source).TICK_BUDGET_MS ?? cap, cap);
}

/** The longest step timeout a route tick can ever claim (a tick only claims what fits its budget). */
export function maxServerlessStepTimeoutMs(source: NodeJS.ProcessEnv = process.env): number {
  return tickBudgetMs(source) - RECORD_MARGIN_MS;
}

/**
 * How far ahead a route tick carries timers (sleep ends, retry backoffs, wait timeouts, lease
 * expiries): work due within this is waited for inside the tick, or by a self-continuation,
 * never left to the next cron (on Vercel's Hobby plan crons run once a day). Later timers are
 * the cron's. `TICK_CARRY_MS`, default 60 s (the Pro cron's period), at most 15 min.
 */
export function tickCarryMs(source: NodeJS.ProcessEnv = process.env): number {
  return readEnv(source).TICK_CARRY_MS;
}
