import { z } from "zod";
import { DELIVERY_STATUSES } from "@/db/schema";
import { withApiKey } from "@/http/wrappers";
import { listShopifyDeliveries } from "@/orders/delivery-operations";

const deliveriesQuery = z.strictObject({
  status: z.enum(DELIVERY_STATUSES).optional(),
  shop: z.string().min(1).max(255).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** The previous page's `nextCursor`. */
  cursor: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
});

// GET /api/webhooks/shopify/deliveries?status=pending|processed|failed&shop=&limit=&cursor= — Shopify
// deliveries, newest first, in keyset pages; never their payloads (customer data).
export const GET = withApiKey({ role: "viewer" }, async ({ db, query }) => {
  const { status, shop, limit, cursor } = query(deliveriesQuery);
  return Response.json(await listShopifyDeliveries(db, { status, shopDomain: shop, limit, cursor }));
});
