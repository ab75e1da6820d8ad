import { listAudit } from "@/auth/audit";
import { auditCursor, pageQuery } from "@/auth/schema";
import { withApiKey } from "@/http/wrappers";

// GET /api/audit?limit=&cursor= — the audit log, newest first, in keyset pages.
export const GET = withApiKey({ role: "admin" }, async ({ db, query }) => {
  const { limit, cursor } = query(pageQuery);
  return Response.json(
    await listAudit(db, { limit, before: cursor === undefined ? undefined : auditCursor.parse(cursor) }),
  );
});
