import { withPublic } from "@/http/wrappers";
import { checkHealth } from "@/observability/health";

// GET /api/health — the platform's liveness and database latency; 503 when the database is down.
export const GET = withPublic(async ({ getDb }) => {
  const report = await checkHealth(getDb);
  return Response.json(report, {
    status: report.status === "down" ? 503 : 200,
    headers: { "Cache-Control": "no-store" },
  });
});
