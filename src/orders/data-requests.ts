/**
 * `customers/data_request`: Shopify asks what we hold about a customer. We answer with an export
 * (the customer's orders as the API shows them to operators, personal data included), stored
 * ENCRYPTED in `data_exports`, and tell the admin (outbox; the message names the export and
 * the shop, never the customer's data) so they can download it and send it to the merchant.
 * Exports are deleted after EXPORT_RETENTION_DAYS.
 */
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import { publicBaseUrl, readEnv } from "@/env";
import { NotFoundError } from "@/errors";
import { enqueueMessage } from "@/notifications/outbox";
import { decryptField, encryptField, searchHashes } from "@/privacy/crypto";
import { getOrder, type Order } from "./orders";

export const EXPORT_CONTEXT = "data_exports.payload";
export const EXPORT_RETENTION_DAYS = 30;

const dataRequestSchema = z.object({
  customer: z.object({
    id: z.union([z.number(), z.string()]).transform(String).nullish(),
    email: z.string().nullish(),
    phone: z.string().nullish(),
  }),
  orders_requested: z
    .array(z.union([z.number(), z.string()]).transform(String))
    .max(100_000)
    .default([]),
  data_request: z.object({ id: z.union([z.number(), z.string()]).transform(String) }).nullish(),
});

export interface DataExport {
  shopDomain: string;
  customer: { shopifyId: string | null };
  requestedAt: string;
  orders: Order[];
}

/** Builds and stores the export, and queues the admin's notice; answers the export's id. */
export async function answerDataRequest(tx: Db, shopDomain: string, body: unknown): Promise<string> {
  const parsed = dataRequestSchema.safeParse(body);
  if (!parsed.success)
    throw new Error(
      `the customers/data_request payload is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  const { customer, orders_requested: orderIds, data_request: request } = parsed.data;
  const hashes = customer.email ? searchHashes(customer.email, "email") : [];
  const ids = await queryRows<{ id: string }>(
    tx,
    sql`select id from orders where shop_domain = ${shopDomain}
          and ((${customer.id ?? null}::text is not null and shopify_customer_id = ${customer.id ?? null})
               or shopify_id = any(${sql.param(orderIds)}::text[])
               or customer_email_hash = any(${sql.param(hashes)}::text[]))
        order by created_at`,
  );
  const document: DataExport = {
    shopDomain,
    customer: { shopifyId: customer.id ?? null },
    requestedAt: new Date().toISOString(),
    orders: await Promise.all(ids.map((r) => getOrder(tx, r.id))),
  };
  const [row] = await queryRows<{ id: string }>(
    tx,
    sql`insert into data_exports (shop_domain, shopify_customer_id, request_id, payload)
        values (${shopDomain}, ${customer.id ?? null}, ${request?.id ?? null}, ${encryptField(JSON.stringify(document), EXPORT_CONTEXT)})
        on conflict (shop_domain, request_id) do update set payload = excluded.payload, created_at = now()
        returning id`,
  );
  const exportId = row!.id;
  const env = readEnv();
  const link = `${publicBaseUrl() ?? ""}/api/privacy/exports/${exportId}`;
  await enqueueMessage(tx, {
    channel: "email",
    recipient: env.ALERT_EMAIL ?? "admin",
    keep: !env.ALERT_EMAIL,
    subject: `Customer data request from ${shopDomain}`,
    body:
      `Shopify asked for the data we hold about a customer of ${shopDomain} (request ${request?.id ?? "without id"}): ` +
      `${document.orders.length} order(s). Download the export with an admin key: GET ${link} ` +
      `(deleted after ${EXPORT_RETENTION_DAYS} days), then send it to the merchant.`,
    dedupeKey: `data-request:${shopDomain}:${request?.id ?? exportId}`,
  });
  return exportId;
}

/** The export, decrypted, for an admin; its download is recorded. */
export async function readDataExport(db: Db, id: string): Promise<DataExport> {
  const [row] = await queryRows<{ payload: string }>(
    db,
    sql`update data_exports set downloaded_at = now() where id = ${id} returning payload`,
  );
  if (!row)
    throw new NotFoundError(
      `No data export has the id ${id} (exports are deleted after ${EXPORT_RETENTION_DAYS} days).`,
    );
  return JSON.parse(decryptField(row.payload, EXPORT_CONTEXT)) as DataExport;
}
