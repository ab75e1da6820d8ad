import { z } from "zod";
import { kickTick } from "@/engine/kick";
import { afterResponse } from "@/http/after-response";
import { withApiKey } from "@/http/wrappers";
import { processOrder } from "@/orders/manage";
import { NotFoundError } from "@/errors";

// POST /api/orders/<id>/process — starts the order workflow for this order now: 202 {runId, created};
// a run still going for the order is answered instead of a second one (created: false); a
// cancelled or shipped order → 409.
export const POST = withApiKey({ role: "operator", action: "orders.process" }, async ({ db, params, audit }) => {
  const id = z.guid().safeParse(params.id);
  if (!id.success) throw new NotFoundError("No order has this id.");
  audit.target = id.data;
  const run = await processOrder(db, id.data);
  // Also for a run already going: an operator asking for it is worth a tick now.
  afterResponse(() => kickTick(db));
  return Response.json(run, { status: run.created ? 202 : 200 });
});
