import type { Db } from "@/db/client";
import { kickTick } from "@/engine/kick";
import { tick, type TickResult } from "@/engine/tick";
import { tickBudgetMs, tickCarryMs } from "@/engine/tick-budget";
import { afterResponse } from "@/http/after-response";
import { withCron } from "@/http/wrappers";

// Equal to this route's maxDuration in vercel.json (a test keeps them in step); the tick's budget
// follows it (src/engine/tick-budget.ts). Fluid compute allows up to 300 s on Hobby, 800 s on Pro.
export const maxDuration = 300;

type Origin = "cron" | "continuation" | "kick";

/** Who called: the cron (GET), or a self-call saying why (`x-tick-origin`, src/engine/kick.ts). */
function originOf(request: Request): Origin {
  return request.headers.get("x-tick-origin") === "continuation" ? "continuation" : "kick";
}

/**
 * Work may remain: the budget ran out, steps were claimed (their successors may now be ready),
 * or a timer falls due soon, within the carry horizon (a tick cut short by its budget hands it on).
 */
function mayHaveMore(result: TickResult, carryMs: number): boolean {
  return result.budgetExhausted || result.claimed > 0 || (result.nextDueInMs !== null && result.nextDueInMs <= carryMs);
}

async function runTick(db: Db, origin: Origin, alwaysSweep: boolean): Promise<TickResult> {
  const carryMs = tickCarryMs();
  const result = await tick(db, { budgetMs: tickBudgetMs(), alwaysSweep, flushCallRecords: true, carryTimersMs: carryMs, origin });
  if (mayHaveMore(result, carryMs)) afterResponse(() => kickTick(db, "continuation"));
  return result;
}

// GET /api/orchestration/tick — Vercel cron: one tick within the budget, then a continuation if work may remain.
export const GET = withCron(async ({ db }) => Response.json(await runTick(db, "cron", true)));

// POST /api/orchestration/tick — self-continuation and kicks (kickTick): 202 at once; the tick runs after the response.
export const POST = withCron(async ({ db, req }) => {
  const origin = originOf(req);
  afterResponse(() => runTick(db, origin, false));
  return Response.json({ accepted: true }, { status: 202 });
});
