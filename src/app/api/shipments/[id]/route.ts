import { z } from "zod";
import { withApiKey } from "@/http/wrappers";
import { getShipment } from "@/orders/suppliers";
import { NotFoundError } from "@/errors";

// GET /api/shipments/<id> — one shipment with its tracking.
export const GET = withApiKey({ role: "viewer" }, async ({ db, params }) => {
  const id = z.guid().safeParse(params.id);
  if (!id.success) throw new NotFoundError("No shipment has this id.");
  return Response.json(await getShipment(db, id.data));
});
