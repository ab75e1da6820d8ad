/**
 * The order workflow's actions (workflows/order_processing.yaml, workflows/order_tracking.yaml,
 * workflows/order_shipped.yaml). Each takes an order id; the work itself is in
 * src/orders/fulfilment.ts. An order that cannot go on (invalid, short of stock, cancelled, no
 * address) is refused with 422 and its problems, so the step fails at once and the workflow's
 * error handlers mark the order failed and alert the operators.
 *
 * Timeouts: 15 s for the actions that only read or write our own database (a cold Neon compute
 * and a cold function together can take several seconds), 30–45 s for those that call the supplier.
 */
import { z } from "zod";
import {
  checkInventory,
  markOrderFailed,
  notifyCustomer,
  prepareSupplierOrder,
  submitToSupplier,
  syncTracking,
  validateOrder,
} from "@/orders/fulfilment";
import { defineAction, defineAgent } from "../framework";
import { smtpCheck, supplierCheck } from "../probe-checks";
import { orderRef, supplierOrderSchema } from "./schemas";

export const orders = defineAgent({
  name: "orders",
  description: "Order processing for the Shopify dropshipping store.",
  // Probe: the database, the supplier API (reachable) and SMTP (notify_customer) when configured.
  health: [supplierCheck, smtpCheck],
  // Direct calls (API key): only the actions with no effect outside their answer declare a role;
  // the rest run only as workflow steps (signed engine calls). See src/agents/access.ts.
  actions: {
    validate_order: defineAction({
      description:
        "Checks a stored order before it goes to a supplier: lines, amounts, payment, status, a way to reach the customer. Refuses (422) an order that cannot be fulfilled.",
      input: orderRef,
      output: z.strictObject({ valid: z.literal(true), itemCount: z.number().int(), computedTotal: z.string() }),
      timeoutMs: 15_000,
      // Reads the order: an operator may check one directly.
      directCall: "operator",
      handler: ({ orderId }, ctx) => validateOrder(ctx.db, orderId),
    }),
    check_inventory: defineAction({
      description:
        "Checks the shop's stock for every line of a stored order (untracked SKUs do not block). Refuses (422) an order short of stock.",
      input: orderRef,
      output: z.strictObject({
        available: z.literal(true),
        lines: z.array(
          z.strictObject({ sku: z.string(), requested: z.number().int(), inStock: z.number().int().nullable() }),
        ),
      }),
      timeoutMs: 15_000,
      // Reads the order and the stock: an operator may check one directly.
      directCall: "operator",
      handler: ({ orderId }, ctx) => checkInventory(ctx.db, orderId),
    }),
    prepare_supplier_order: defineAction({
      description:
        "Turns a stored order into the supplier's order (SKUs and quantities, keyed by our order id) and marks the order processing.",
      input: orderRef,
      output: supplierOrderSchema,
      timeoutMs: 15_000,
      handler: ({ orderId }, ctx) => prepareSupplierOrder(ctx.db, orderId),
    }),
    submit_to_supplier: defineAction({
      description:
        "Submits the supplier order (deduplicated on our order id, here and at the supplier) and records the shipment.",
      input: z.strictObject({ supplierOrder: supplierOrderSchema }),
      output: z.strictObject({ shipmentId: z.guid(), supplierOrderId: z.string(), created: z.boolean() }),
      timeoutMs: 30_000,
      handler: ({ supplierOrder }, ctx) => submitToSupplier(ctx.db, supplierOrder, ctx.signal),
    }),
    sync_tracking: defineAction({
      description:
        "Asks the suppliers for tracking numbers of submitted shipments; publishes order.shipped once per order that shipped.",
      input: z.strictObject({ limit: z.number().int().min(1).max(500).default(50) }),
      output: z.strictObject({ checked: z.number().int(), shipped: z.array(z.string()), errors: z.number().int() }),
      timeoutMs: 45_000,
      handler: ({ limit }, ctx) => syncTracking(ctx.db, { limit, signal: ctx.signal }),
    }),
    notify_customer: defineAction({
      description:
        "Emails the customer about their order (confirmed, shipped), at most once per order and kind; skipped when we hold no email.",
      input: z.strictObject({
        orderId: z.guid(),
        kind: z.enum(["confirmed", "shipped"]),
        trackingNumber: z.string().max(100).nullish(),
        carrier: z.string().max(100).nullish(),
      }),
      output: z.strictObject({ messageId: z.guid().nullable(), status: z.string() }),
      timeoutMs: 30_000,
      handler: (input, ctx) => notifyCustomer(ctx.db, { ...input, signal: ctx.signal }),
    }),
    mark_failed: defineAction({
      description:
        "Marks an order failed (the order workflow's error handler); a cancelled, submitted or shipped order keeps its status.",
      input: orderRef,
      output: z.strictObject({ status: z.string() }),
      timeoutMs: 15_000,
      handler: ({ orderId }, ctx) => markOrderFailed(ctx.db, orderId),
    }),
  },
});
