import { listOutbox, outboxQuery } from "@/notifications/outbox-list";
import { withApiKey } from "@/http/wrappers";

// GET /api/outbox?status=&channel=&limit=&cursor= — outgoing messages, newest first, email addresses masked.
export const GET = withApiKey({ role: "viewer" }, async ({ db, query }) => {
  return Response.json(await listOutbox(db, query(outboxQuery)));
});
