import { z } from "zod";
import { hasRole } from "@/auth/roles";
import { ORDER_STATUSES } from "@/db/schema";
import { kickTick } from "@/engine/kick";
import { afterResponse } from "@/http/after-response";
import { keysetCursor } from "@/db/keyset";
import { withApiKey } from "@/http/wrappers";
import { createOrder, createOrderInput } from "@/orders/manage";
import { listOrders, maskCustomer } from "@/orders/orders";
import { ForbiddenError } from "@/errors";

const orderCursor = keysetCursor.transform((c) => ({ createdAt: c.at, id: c.id }));

const ordersQuery = z.strictObject({
  status: z.enum(ORDER_STATUSES).optional(),
  shop: z.string().min(1).max(255).optional(),
  /** Operators only (a viewer must not be able to confirm who bought): matched by keyed hash. */
  email: z.email().max(320).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: orderCursor.optional(),
});

// GET /api/orders?status=&shop=&email=&limit=&cursor= — orders, newest first, in keyset pages (customers
// masked for viewers; searching by email is for operators, through the email's keyed hash).
export const GET = withApiKey({ role: "viewer" }, async ({ db, query, principal }) => {
  const { status, shop, email, limit, cursor } = query(ordersQuery);
  const clear = hasRole(principal.role, "operator");
  if (email && !clear) throw new ForbiddenError("Searching orders by email needs the operator role.");
  const page = await listOrders(db, { status, shopDomain: shop, email, limit, cursor });
  return Response.json({ orders: clear ? page.orders : page.orders.map(maskCustomer), nextCursor: page.nextCursor });
});

// POST /api/orders {name, currency, totalPrice, lineItems, customer?, shippingAddress?, ...} — a manual
// order: 201 with the order; it publishes order.created, which starts the order workflow. A repeated
// (shopDomain, shopifyId) → 409.
export const POST = withApiKey({ role: "operator", action: "orders.create" }, async ({ db, json, audit }) => {
  const order = await createOrder(db, await json(createOrderInput));
  audit.target = order.id;
  afterResponse(() => kickTick(db)); // order.created starts the order workflow
  return Response.json(order, { status: 201 });
});
