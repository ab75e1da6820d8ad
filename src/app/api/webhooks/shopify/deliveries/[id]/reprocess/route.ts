import { z } from "zod";
import { kickTick } from "@/engine/kick";
import { afterResponse } from "@/http/after-response";
import { withApiKey } from "@/http/wrappers";
import { processDelivery } from "@/orders/deliveries";
import { reprocessDelivery } from "@/orders/delivery-operations";
import { NotFoundError } from "@/errors";

// POST /api/webhooks/shopify/deliveries/<id>/reprocess — puts a delivery that failed for good back
// in the queue: 202 {delivery, requeued: true}, processed after the answer; idempotent (a delivery
// already processed answers 200 requeued: false and changes nothing).
export const POST = withApiKey(
  { role: "operator", action: "shopify.delivery.reprocess" },
  async ({ db, params, audit }) => {
    const id = z
      .string()
      .regex(/^[1-9]\d{0,14}$/)
      .transform(Number)
      .safeParse(params.id);
    if (!id.success) throw new NotFoundError("No Shopify delivery has this id.");
    audit.target = String(id.data);
    const result = await reprocessDelivery(db, id.data);
    if (result.requeued) {
      // Processed now rather than at the next sweep; an order it creates starts work, hence the kick.
      afterResponse(async () => {
        await processDelivery(db, id.data);
        await kickTick(db);
      });
    }
    return Response.json(result, { status: result.requeued ? 202 : 200 });
  },
);
