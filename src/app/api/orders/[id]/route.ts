import { z } from "zod";
import { hasRole } from "@/auth/roles";
import { kickTick } from "@/engine/kick";
import { afterResponse } from "@/http/after-response";
import { withApiKey } from "@/http/wrappers";
import { updateOrder, updateOrderInput } from "@/orders/manage";
import { getOrder, maskCustomer } from "@/orders/orders";
import { NotFoundError } from "@/errors";

// GET /api/orders/<id> — one order (its customer masked for viewers).
function orderId(params: Record<string, string>): string {
  const id = z.guid().safeParse(params.id);
  if (!id.success) throw new NotFoundError("No order has this id.");
  return id.data;
}

export const GET = withApiKey({ role: "viewer" }, async ({ db, params, principal }) => {
  const order = await getOrder(db, orderId(params));
  return Response.json(hasRole(principal.role, "operator") ? order : maskCustomer(order));
});

// PUT /api/orders/<id> {status?: open|cancelled, financialStatus?, customer?, shippingAddress?} — an
// operator's change; publishes order.updated. 200 with the order.
export const PUT = withApiKey({ role: "operator", action: "orders.update" }, async ({ db, params, json, audit }) => {
  const id = orderId(params);
  audit.target = id;
  const order = await updateOrder(db, id, await json(updateOrderInput));
  afterResponse(() => kickTick(db)); // order.updated may start or wake runs
  return Response.json(order);
});
