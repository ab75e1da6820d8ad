/** The order as the Order Manager stores it (PRODUCT.md C5), and the shapes its actions exchange. */
import { z } from "zod";

const money = z.string().regex(/^\d{1,10}(?:\.\d{1,2})?$/, "a decimal amount like 19.90");

export const lineItemSchema = z.strictObject({
  sku: z.string().min(1).max(100),
  title: z.string().min(1).max(300),
  quantity: z.number().int().min(1).max(10_000),
  price: money,
});

export const orderSchema = z.strictObject({
  id: z.string().min(1).max(100),
  shopifyId: z.string().min(1).max(100),
  shopDomain: z.string().min(1).max(255),
  name: z.string().min(1).max(100),
  currency: z.string().regex(/^[A-Z]{3}$/),
  totalPrice: money,
  financialStatus: z.string().min(1).max(40),
  status: z.string().min(1).max(40),
  lineItems: z.array(lineItemSchema).max(500),
  customer: z.strictObject({ name: z.string().max(200).nullable(), email: z.email().nullable(), phone: z.string().max(40).nullable() }).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Order = z.infer<typeof orderSchema>;

export const problemSchema = z.strictObject({ field: z.string(), message: z.string() });

export const supplierOrderSchema = z.strictObject({
  /** The supplier-side dedupe key: our order id, so a retried submission cannot order twice. */
  outOrderId: z.string(),
  currency: z.string(),
  lines: z.array(z.strictObject({ sku: z.string(), quantity: z.number().int().min(1) })).min(1),
  shipTo: z.strictObject({ name: z.string().nullable(), email: z.string().nullable(), phone: z.string().nullable() }).nullable(),
});
export type SupplierOrder = z.infer<typeof supplierOrderSchema>;
