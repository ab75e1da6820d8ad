import { z } from "zod";
import { EVENT_DELIVERY_STATUSES } from "@/db/schema";
import { withApiKey } from "@/http/wrappers";
import { listDeliveries } from "@/events/subscriptions";

const deliveriesQuery = z.strictObject({
  status: z.enum(EVENT_DELIVERY_STATUSES).optional(),
  /** The previous page's `nextCursor`. */
  before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

// GET /api/events/deliveries?status=pending|delivered|dead&before=&limit= — outgoing deliveries, newest first (dead letters with status=dead).
export const GET = withApiKey({ role: "viewer" }, async ({ db, query }) =>
  Response.json(await listDeliveries(db, query(deliveriesQuery))),
);
