import { z } from "zod";
import { ApiError } from "@/http/errors";
import { withApiKey } from "@/http/wrappers";
import { deleteSubscription } from "@/events/subscriptions";

// DELETE /api/events/subscriptions/<id> — 204; its pending deliveries go with it.
export const DELETE = withApiKey({ role: "admin", action: "events.unsubscribe" }, async ({ db, params }) => {
  const id = z.guid().safeParse(params.id);
  if (!id.success) throw new ApiError("not_found", "No event subscription has this id.");
  await deleteSubscription(db, id.data);
  return new Response(null, { status: 204 });
});
