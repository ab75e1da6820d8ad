import { listAlerts } from "@/operations/alerts/alerts";
import { alertsQuery } from "@/operations/alerts/http";
import { withApiKey } from "@/http/wrappers";

// GET /api/alerts?state=active|acknowledged|resolved&ruleId=&limit=&cursor= — the alert history, newest first, in keyset pages.
export const GET = withApiKey({ role: "viewer" }, async ({ db, query }) => {
  const { state, ruleId, limit, cursor } = query(alertsQuery);
  return Response.json(
    await listAlerts(db, { state, ruleId, limit, cursor: cursor && { firedAt: cursor.at, id: cursor.id } }),
  );
});
