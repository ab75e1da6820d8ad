import { z } from "zod";
import { hasRole } from "@/auth/roles";
import { ApiError } from "@/http/errors";
import { withApiKey } from "@/http/wrappers";
import { getOrder, maskCustomer } from "@/orders/orders";

// GET /api/orders/<id> — one order (its customer masked for viewers).
export const GET = withApiKey({ role: "viewer" }, async ({ db, params, principal }) => {
  const id = z.guid().safeParse(params.id);
  if (!id.success) throw new ApiError("not_found", "No order has this id.");
  const order = await getOrder(db, id.data);
  return Response.json(hasRole(principal.role, "operator") ? order : maskCustomer(order));
});
