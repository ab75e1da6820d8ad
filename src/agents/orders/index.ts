/**
 * The order workflow's actions. `validate_order` and `prepare_supplier_order` are pure and
 * complete; the others need the Order Manager's products, suppliers and shipments (issue 7):
 * until it lands they refuse with a clear 422 instead of pretending to work.
 */
import { z } from "zod";
import { ActionRejected, defineAction, defineAgent } from "../framework";
import { orderSchema, problemSchema, supplierOrderSchema } from "./schemas";

const cents = (amount: string) => Math.round(Number(amount) * 100);

const pendingOrderManager = (action: string) => () =>
  Promise.reject(new ActionRejected(`orders.${action} needs the Order Manager (products, suppliers, shipments), which is not available yet.`));

export const orders = defineAgent({
  name: "orders",
  description: "Order processing for the Shopify dropshipping store.",
  actions: {
    validate_order: defineAction({
      description: "Checks an order before it goes to a supplier: lines, amounts, currency, payment, customer.",
      input: z.strictObject({ order: orderSchema }),
      output: z.strictObject({ valid: z.boolean(), problems: z.array(problemSchema), itemCount: z.number().int(), computedTotal: z.string() }),
      timeoutMs: 5_000,
      handler: async ({ order }) => {
        const problems: z.infer<typeof problemSchema>[] = [];
        if (order.lineItems.length === 0) problems.push({ field: "lineItems", message: "the order has no lines" });
        const skus = new Set<string>();
        order.lineItems.forEach((line, i) => {
          if (skus.has(line.sku)) problems.push({ field: `lineItems[${i}].sku`, message: `duplicate sku ${line.sku}` });
          skus.add(line.sku);
        });
        const total = order.lineItems.reduce((sum, l) => sum + cents(l.price) * l.quantity, 0);
        // Shipping and taxes may add to the lines' sum; a total below it is inconsistent.
        if (cents(order.totalPrice) < total) problems.push({ field: "totalPrice", message: `${order.totalPrice} is less than the lines' sum ${(total / 100).toFixed(2)}` });
        if (!["paid", "partially_paid"].includes(order.financialStatus)) problems.push({ field: "financialStatus", message: `not paid (${order.financialStatus})` });
        if (order.status === "cancelled") problems.push({ field: "status", message: "the order is cancelled" });
        if (!order.customer?.email && !order.customer?.phone) problems.push({ field: "customer", message: "no way to reach the customer" });
        return {
          valid: problems.length === 0,
          problems,
          itemCount: order.lineItems.reduce((n, l) => n + l.quantity, 0),
          computedTotal: (total / 100).toFixed(2),
        };
      },
    }),
    check_inventory: defineAction({
      description: "Checks stock for every line of an order.",
      input: z.strictObject({ order: orderSchema }),
      output: z.strictObject({ available: z.boolean(), lines: z.array(z.strictObject({ sku: z.string(), requested: z.number().int(), inStock: z.number().int() })) }),
      timeoutMs: 10_000,
      handler: pendingOrderManager("check_inventory"),
    }),
    prepare_supplier_order: defineAction({
      description: "Turns a validated order into the supplier's order, keyed by our order id.",
      input: z.strictObject({ order: orderSchema }),
      output: supplierOrderSchema,
      timeoutMs: 5_000,
      handler: async ({ order }) => {
        if (order.lineItems.length === 0) throw new ActionRejected("The order has no lines to send to a supplier.");
        const quantities = new Map<string, number>();
        for (const line of order.lineItems) quantities.set(line.sku, (quantities.get(line.sku) ?? 0) + line.quantity);
        return {
          outOrderId: order.id,
          currency: order.currency,
          lines: [...quantities].map(([sku, quantity]) => ({ sku, quantity })),
          shipTo: order.customer ? { name: order.customer.name, email: order.customer.email, phone: order.customer.phone } : null,
        };
      },
    }),
    submit_to_supplier: defineAction({
      description: "Submits the supplier order (deduplicated on our order id).",
      input: z.strictObject({ supplierOrder: supplierOrderSchema }),
      output: z.strictObject({ supplierOrderId: z.string(), status: z.string() }),
      timeoutMs: 30_000,
      handler: pendingOrderManager("submit_to_supplier"),
    }),
    sync_tracking: defineAction({
      description: "Asks suppliers for tracking numbers of open shipments.",
      input: z.strictObject({}),
      output: z.strictObject({ updated: z.number().int(), shipped: z.array(z.string()) }),
      timeoutMs: 30_000,
      handler: pendingOrderManager("sync_tracking"),
    }),
    notify_customer: defineAction({
      description: "Tells the customer about their order (confirmation, shipment).",
      input: z.strictObject({ order: orderSchema, kind: z.enum(["confirmed", "shipped"]), trackingUrl: z.url().optional() }),
      output: z.strictObject({ messageId: z.string(), status: z.string() }),
      timeoutMs: 30_000,
      handler: pendingOrderManager("notify_customer"),
    }),
  },
});
