/**
 * What operators do with Shopify deliveries (issue 15): see them (failed ones above all), count
 * the failed ones for the alert rule, and reprocess one.
 *
 * - A view carries what identifies and explains a delivery (shop, topic, ids, status, attempts,
 *   the last error, times), never its payload: the payload holds customer data (it is stored
 *   encrypted and only the processor decrypts it). Last errors name fields, never their values
 *   (processDelivery writes them so).
 * - Lists are keyset pages on the identity id, newest first (`shopify_deliveries_status_idx`,
 *   `(status, id)`, scanned backwards); `nextCursor` is the last id of the page.
 * - Reprocessing is idempotent: a failed delivery goes back to `pending` with its attempts from
 *   zero and is due now; a pending one is made due now; a processed one is left as it is
 *   (`requeued: false`), so a repeated request (a client retry after the first succeeded) is not
 *   an error and changes nothing.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import type { DeliveryStatus } from "@/db/schema";
import { toIso } from "@/db/rows";
import { ConflictError, NotFoundError } from "@/errors";

export interface DeliveryView {
  id: number;
  shopDomain: string;
  topic: string;
  webhookId: string;
  eventId: string | null;
  apiVersion: string | null;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  /** False once processed (the payload is dropped) — a delivery without it cannot be reprocessed. */
  hasPayload: boolean;
  receivedAt: string;
  triggeredAt: string | null;
  nextAttemptAt: string | null;
  processedAt: string | null;
}

type Row = {
  id: unknown;
  shop_domain: string;
  topic: string;
  webhook_id: string;
  event_id: string | null;
  api_version: string | null;
  status: DeliveryStatus;
  attempts: unknown;
  last_error: string | null;
  has_payload: boolean;
  received_at: unknown;
  triggered_at: unknown;
  next_attempt_at: unknown;
  processed_at: unknown;
};

const COLUMNS = sql`id, shop_domain, topic, webhook_id, event_id, api_version, status, attempts, last_error, payload is not null as has_payload,
  received_at, triggered_at, next_attempt_at, processed_at`;

function toView(r: Row): DeliveryView {
  return {
    id: Number(r.id),
    shopDomain: r.shop_domain,
    topic: r.topic,
    webhookId: r.webhook_id,
    eventId: r.event_id,
    apiVersion: r.api_version,
    status: r.status,
    attempts: Number(r.attempts),
    lastError: r.last_error,
    hasPayload: Boolean(r.has_payload),
    receivedAt: toIso(r.received_at)!,
    triggeredAt: toIso(r.triggered_at),
    nextAttemptAt: toIso(r.next_attempt_at),
    processedAt: toIso(r.processed_at),
  };
}

export interface ListDeliveriesParams {
  status?: DeliveryStatus;
  shopDomain?: string;
  limit: number;
  /** The previous page's `nextCursor`: the id of its last delivery. */
  cursor?: number;
}

/** Deliveries newest first, in keyset pages. */
export async function listShopifyDeliveries(
  db: Db,
  params: ListDeliveriesParams,
): Promise<{ deliveries: DeliveryView[]; nextCursor: string | null }> {
  const rows = await queryRows<Row>(
    db,
    sql`select ${COLUMNS} from shopify_deliveries
        where (${params.status ?? null}::text is null or status = ${params.status ?? null})
          and (${params.shopDomain ?? null}::text is null or shop_domain = ${params.shopDomain ?? null})
          and (${params.cursor ?? null}::bigint is null or id < ${params.cursor ?? null})
        order by id desc limit ${params.limit + 1}`,
  );
  const page = rows.slice(0, params.limit).map(toView);
  return {
    deliveries: page,
    nextCursor: rows.length > params.limit && page.length > 0 ? String(page.at(-1)!.id) : null,
  };
}

/** Deliveries failed for good and not reprocessed (the failed_shopify_deliveries alert condition). */
export async function countFailedDeliveries(db: Db): Promise<number> {
  const [row] = await queryRows<{ n: unknown }>(
    db,
    sql`select count(*)::int as n from shopify_deliveries where status = 'failed'`,
  );
  return Number(row?.n ?? 0);
}

/**
 * Puts a delivery back in the queue (see the module's comment): `requeued` tells whether it will
 * be processed. A failed delivery without its payload cannot be (409).
 */
export async function reprocessDelivery(db: Db, id: number): Promise<{ delivery: DeliveryView; requeued: boolean }> {
  const [updated] = await queryRows<Row>(
    db,
    sql`update shopify_deliveries set status = 'pending', next_attempt_at = null,
          attempts = case when status = 'failed' then 0 else attempts end
        where id = ${id} and status in ('failed', 'pending') and payload is not null
        returning ${COLUMNS}`,
  );
  if (updated) return { delivery: toView(updated), requeued: true };
  const [current] = await queryRows<Row>(db, sql`select ${COLUMNS} from shopify_deliveries where id = ${id}`);
  if (!current) throw new NotFoundError(`No Shopify delivery has the id ${id}.`);
  if (current.status === "processed") return { delivery: toView(current), requeued: false };
  throw new ConflictError(`Shopify delivery ${id} has no payload left to process.`, { status: current.status });
}
