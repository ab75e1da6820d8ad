import type { Db } from "@/db/client";
import { readEnv } from "@/env";
import { kickTick } from "@/engine/kick";
import { tick, type TickResult } from "@/engine/tick";
import { afterResponse } from "@/http/after-response";
import { withCron } from "@/http/wrappers";

export const maxDuration = 60;

const DEFAULT_BUDGET_MS = 50_000;
/** What the budget leaves of maxDuration: recording the last results, the response, the kick. */
const MAX_BUDGET_MS = maxDuration * 1_000 - 5_000;

/** TICK_BUDGET_MS when it is a positive number, capped below maxDuration. */
function budgetMs(): number {
  return Math.min(readEnv().TICK_BUDGET_MS ?? DEFAULT_BUDGET_MS, MAX_BUDGET_MS);
}

/** Work may remain: the budget ran out, or steps were claimed (their successors may now be ready). */
function mayHaveMore(result: TickResult): boolean {
  return result.budgetExhausted || result.claimed > 0;
}

async function tickAndContinue(db: Db): Promise<void> {
  if (mayHaveMore(await tick(db, { budgetMs: budgetMs(), flushCallRecords: true }))) await kickTick(db);
}

// GET /api/orchestration/tick — Vercel cron: one tick within the budget, then a kick if work may remain.
export const GET = withCron(async ({ db }) => {
  const result = await tick(db, { budgetMs: budgetMs(), alwaysSweep: true, flushCallRecords: true });
  if (mayHaveMore(result)) afterResponse(() => kickTick(db));
  return Response.json(result);
});

// POST /api/orchestration/tick — self-continuation (kickTick): 202 at once; the tick runs after the response.
export const POST = withCron(async ({ db }) => {
  afterResponse(() => tickAndContinue(db));
  return Response.json({ accepted: true }, { status: 202 });
});
