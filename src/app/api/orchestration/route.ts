import { orchestrationStats } from "@/engine/stats";
import { withApiKey } from "@/http/wrappers";

// GET /api/orchestration — runs by status, the ready queue and its oldest age, parked steps.
export const GET = withApiKey({ role: "viewer" }, async ({ db }) => {
  return Response.json(await orchestrationStats(db), { headers: { "Cache-Control": "no-store" } });
});
