import { withPublic } from "@/http/wrappers";
import { checkHealth } from "@/operations/health";

// GET /api/health — the database (503 when it is down), whether the app can call itself
// (checks.selfCall) and whether every workflow file is registered (checks.workflows); a failing
// self-call or a missing/stale workflow makes the status `degraded`, still 200.
export const GET = withPublic(async ({ getDb }) => {
  const report = await checkHealth(getDb);
  return Response.json(report, {
    status: report.status === "down" ? 503 : 200,
    headers: { "Cache-Control": "no-store" },
  });
});
