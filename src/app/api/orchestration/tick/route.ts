import { runRouteTick, type TickOrigin } from "@/engine/route-tick";
import { afterResponse } from "@/http/after-response";
import { withCron } from "@/http/wrappers";
import { ensureWired } from "@/runtime/wire";

// Equal to this route's maxDuration in vercel.json (a test keeps them in step); the tick's budget
// follows it (src/engine/tick-budget.ts). Fluid compute allows up to 300 s on Hobby, 800 s on Pro.
export const maxDuration = 300;

/** Who called: the cron (GET), or a self-call saying why (`x-tick-origin`, src/engine/kick.ts). */
function originOf(request: Request): TickOrigin {
  return request.headers.get("x-tick-origin") === "continuation" ? "continuation" : "kick";
}

// GET /api/orchestration/tick — Vercel cron: one tick within the budget, then a continuation if work may remain.
export const GET = withCron(async ({ db }) => {
  await ensureWired();
  return Response.json(await runRouteTick(db, "cron", { alwaysSweep: true, later: afterResponse }));
});

// POST /api/orchestration/tick — self-continuation and kicks (kickTick): 202 at once; the tick runs after the response.
export const POST = withCron(async ({ db, req }) => {
  const origin = originOf(req);
  await ensureWired();
  afterResponse(() => runRouteTick(db, origin, { alwaysSweep: false, later: afterResponse }));
  return Response.json({ accepted: true }, { status: 202 });
});
