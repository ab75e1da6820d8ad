import { keysetCursor } from "@/db/keyset";
import { withApiKey } from "@/http/wrappers";
import { listShipments, shipmentsQuery } from "@/orders/suppliers";

const query = shipmentsQuery.extend({
  cursor: keysetCursor.transform((c) => ({ createdAt: c.at, id: c.id })).optional(),
});

// GET /api/shipments?status=&orderId=&limit=&cursor= — shipments, newest first, in keyset pages.
export const GET = withApiKey({ role: "viewer" }, async ({ db, query: parse }) =>
  Response.json(await listShipments(db, parse(query))),
);
