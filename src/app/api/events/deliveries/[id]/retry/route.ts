import { z } from "zod";
import { ApiError } from "@/http/errors";
import { withApiKey } from "@/http/wrappers";
import { retryDelivery } from "@/events/subscriptions";

// POST /api/events/deliveries/<id>/retry — re-drives a delivery (a dead letter, or one waiting for its next try) now.
export const POST = withApiKey({ role: "operator", action: "events.delivery.retry" }, async ({ db, params }) => {
  const id = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).safeParse(params.id);
  if (!id.success) throw new ApiError("not_found", "No event delivery has this id.");
  return Response.json({ delivery: await retryDelivery(db, id.data) });
});
