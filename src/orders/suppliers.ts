/** Suppliers and shipments: what the order workflow sends where, and what came back. */
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import { keysetPage } from "@/db/keyset";
import { SHIPMENT_STATUSES, SUPPLIER_KINDS, type ShipmentStatus } from "@/db/schema";
import { toIso } from "@/db/rows";
import { ConflictError, NotFoundError } from "@/errors";
import { checkOutboundUrl } from "@/integrations/outbound";

export interface Supplier {
  id: string;
  name: string;
  kind: (typeof SUPPLIER_KINDS)[number];
  apiUrl: string | null;
  createdAt: string;
}

export const supplierInput = z.strictObject({
  name: z.string().trim().min(1).max(100),
  kind: z.enum(SUPPLIER_KINDS).default("aliexpress"),
  /** http(s) base URL of the supplier's API; omitted: SUPPLIER_API_URL (or the local simulator). */
  apiUrl: z
    .url({ protocol: /^https?$/, message: "must be an http(s) URL" })
    .max(500)
    // The outbound policy (src/integrations/outbound): no private or loopback host unless listed in HTTP_STEP_ALLOWED_HOSTS.
    .superRefine((url, ctx) => {
      try {
        checkOutboundUrl(url);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: error instanceof Error ? error.message : String(error) });
      }
    })
    .nullish()
    .transform((v) => v ?? null),
});

type SupplierRow = { id: string; name: string; kind: Supplier["kind"]; api_url: string | null; created_at: unknown };

const toSupplier = (r: SupplierRow): Supplier => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  apiUrl: r.api_url,
  createdAt: toIso(r.created_at)!,
});

export async function listSuppliers(db: Db): Promise<Supplier[]> {
  const rows = await queryRows<SupplierRow>(
    db,
    sql`select id, name, kind, api_url, created_at from suppliers order by name`,
  );
  return rows.map(toSupplier);
}

/** A taken name is a conflict (409), not a second supplier. */
export async function createSupplier(db: Db, input: z.output<typeof supplierInput>): Promise<Supplier> {
  const [row] = await queryRows<SupplierRow>(
    db,
    sql`insert into suppliers (name, kind, api_url) values (${input.name}, ${input.kind}, ${input.apiUrl})
        on conflict (name) do nothing returning id, name, kind, api_url, created_at`,
  );
  if (!row) throw new ConflictError(`A supplier is already named ${input.name}.`);
  return toSupplier(row);
}

export interface Shipment {
  id: string;
  orderId: string;
  supplierId: string;
  supplierOrderId: string;
  status: ShipmentStatus;
  trackingNumber: string | null;
  carrier: string | null;
  createdAt: string;
  updatedAt: string;
  shippedAt: string | null;
}

type ShipmentRow = {
  id: string;
  order_id: string;
  supplier_id: string;
  supplier_order_id: string;
  status: ShipmentStatus;
  tracking_number: string | null;
  carrier: string | null;
  created_at: unknown;
  updated_at: unknown;
  shipped_at: unknown;
  cursor_at: string;
};

const SHIPMENT_COLUMNS = sql`id, order_id, supplier_id, supplier_order_id, status, tracking_number, carrier, created_at, updated_at, shipped_at,
  to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at`;

const toShipment = (r: ShipmentRow): Shipment => ({
  id: r.id,
  orderId: r.order_id,
  supplierId: r.supplier_id,
  supplierOrderId: r.supplier_order_id,
  status: r.status,
  trackingNumber: r.tracking_number,
  carrier: r.carrier,
  createdAt: toIso(r.created_at)!,
  updatedAt: toIso(r.updated_at)!,
  shippedAt: toIso(r.shipped_at),
});

export const shipmentsQuery = z.strictObject({
  status: z.enum(SHIPMENT_STATUSES).optional(),
  orderId: z.guid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export interface ListShipmentsParams {
  status?: ShipmentStatus;
  orderId?: string;
  limit: number;
  cursor?: { createdAt: string; id: string };
}

/** Newest first, keyset pages (shipments_created_idx / shipments_status_created_idx scanned backwards). */
export async function listShipments(
  db: Db,
  params: ListShipmentsParams,
): Promise<{ shipments: Shipment[]; nextCursor: string | null }> {
  const c = params.cursor;
  const rows = await queryRows<ShipmentRow>(
    db,
    sql`select ${SHIPMENT_COLUMNS} from shipments
        where (${params.status ?? null}::text is null or status = ${params.status ?? null})
          and (${params.orderId ?? null}::uuid is null or order_id = ${params.orderId ?? null}::uuid)
          and (${c?.createdAt ?? null}::timestamptz is null or (created_at, id) < (${c?.createdAt ?? null}::timestamptz, ${c?.id ?? null}::uuid))
        order by created_at desc, id desc limit ${params.limit + 1}`,
  );
  const { page, nextCursor } = keysetPage(rows, params.limit);
  return { shipments: page.map(toShipment), nextCursor };
}

export async function getShipment(db: Db, id: string): Promise<Shipment> {
  const [row] = await queryRows<ShipmentRow>(db, sql`select ${SHIPMENT_COLUMNS} from shipments where id = ${id}`);
  if (!row) throw new NotFoundError(`No shipment has the id ${id}.`);
  return toShipment(row);
}

/**
 * Records what a supplier accepted for an order. A repeat (a retried submission) keeps the first
 * record and answers it: one shipment per order and supplier.
 */
export async function recordShipment(
  db: Db,
  params: { orderId: string; supplierId: string; supplierOrderId: string },
): Promise<{ shipment: Shipment; created: boolean }> {
  const inserted = await queryRows<ShipmentRow>(
    db,
    sql`insert into shipments (order_id, supplier_id, supplier_order_id) values (${params.orderId}, ${params.supplierId}, ${params.supplierOrderId})
        on conflict (order_id, supplier_id) do nothing returning ${SHIPMENT_COLUMNS}`,
  );
  if (inserted[0]) return { shipment: toShipment(inserted[0]), created: true };
  const [existing] = await queryRows<ShipmentRow>(
    db,
    sql`select ${SHIPMENT_COLUMNS} from shipments where order_id = ${params.orderId} and supplier_id = ${params.supplierId}`,
  );
  return { shipment: toShipment(existing!), created: false };
}
