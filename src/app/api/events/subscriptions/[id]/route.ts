import { z } from "zod";
import { withApiKey } from "@/http/wrappers";
import { deleteSubscription } from "@/events/subscriptions";
import { NotFoundError } from "@/errors";

// DELETE /api/events/subscriptions/<id> — 204; its pending deliveries go with it.
export const DELETE = withApiKey({ role: "admin", action: "events.unsubscribe" }, async ({ db, params }) => {
  const id = z.guid().safeParse(params.id);
  if (!id.success) throw new NotFoundError("No event subscription has this id.");
  await deleteSubscription(db, id.data);
  return new Response(null, { status: 204 });
});
