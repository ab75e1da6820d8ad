import { z } from "zod";
import { kickTick } from "@/engine/kick";
import { afterResponse } from "@/http/after-response";
import { withApiKey } from "@/http/wrappers";
import { retryDelivery } from "@/events/subscriptions";
import { NotFoundError } from "@/errors";

// POST /api/events/deliveries/<id>/retry — re-drives a delivery (a dead letter, or one waiting for its next try) now.
export const POST = withApiKey({ role: "operator", action: "events.delivery.retry" }, async ({ db, params }) => {
  const id = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).safeParse(params.id);
  if (!id.success) throw new NotFoundError("No event delivery has this id.");
  const delivery = await retryDelivery(db, id.data);
  afterResponse(() => kickTick(db)); // deliveries are sent by the ticks' housekeeping
  return Response.json({ delivery });
});
