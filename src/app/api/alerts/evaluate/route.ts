import { evaluateAlerts } from "@/operations/alerts/evaluate";
import { withCron } from "@/http/wrappers";

// GET /api/alerts/evaluate (cron secret) — evaluates every enabled rule once: fires, escalates, resolves.
export const GET = withCron(async ({ db }) => {
  return Response.json(await evaluateAlerts(db));
});
