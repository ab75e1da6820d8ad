/**
 * The shapes the orders agent's actions exchange. Every action takes the order's id and reads
 * the stored order itself (src/orders/fulfilment.ts): run inputs and outputs hold ids, SKUs and
 * counts, never a customer's personal data.
 */
import { z } from "zod";

export const orderRef = z.strictObject({ orderId: z.guid() });

export const problemSchema = z.strictObject({ field: z.string(), message: z.string() });

export const supplierOrderSchema = z.strictObject({
  /** Our order id: the supplier-side dedupe key, so a retried submission cannot order twice. */
  orderId: z.guid(),
  supplierId: z.guid(),
  currency: z.string(),
  lines: z.array(z.strictObject({ sku: z.string().min(1), quantity: z.number().int().min(1) })).min(1),
});
export type SupplierOrder = z.infer<typeof supplierOrderSchema>;
