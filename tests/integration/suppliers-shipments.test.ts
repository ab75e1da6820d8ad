/** Suppliers and shipments over HTTP: admin creates suppliers, a shipment is recorded once per order and supplier, lists page by keyset. */
import { sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { createApiKey } from "@/auth/api-keys";
import { queryRows } from "@/db/client";
import { GET as listSuppliersRoute, POST as createSupplierRoute } from "@/app/api/suppliers/route";
import { GET as listShipmentsRoute } from "@/app/api/shipments/route";
import { GET as getShipmentRoute } from "@/app/api/shipments/[id]/route";
import { recordShipment, type Shipment, type Supplier } from "@/orders/suppliers";
import { describeDb } from "../helpers/db";
import { callJson } from "../helpers/http";

type ErrorBody = { error: { code: string; details?: unknown } };

describeDb("suppliers and shipments", (suite) => {
  const keys = { viewer: "", operator: "", admin: "" };
  let supplier: Supplier;
  const orderIds: string[] = [];
  beforeAll(async () => {
    for (const role of ["viewer", "operator", "admin"] as const)
      keys[role] = (await createApiKey(suite.db(), { name: `supply ${role}`, role })).key;
    for (let i = 0; i < 3; i++) {
      const [row] = await queryRows<{ id: string }>(
        suite.db(),
        sql`insert into orders (shop_domain, shopify_id, name, currency, total_price, line_items) values ('s.myshopify.com', ${String(900 + i)}, ${`#${i}`}, 'EUR', '10.00', '[]'::jsonb) returning id`,
      );
      orderIds.push(row!.id);
    }
  });

  it("lets an admin create a supplier, refuses a taken name, a bad URL and a lower role", async () => {
    const created = await callJson<{ supplier: Supplier }>(createSupplierRoute, "/api/suppliers", {
      method: "POST",
      key: keys.admin,
      body: { name: "AliExpress EU", apiUrl: "https://api-sg.aliexpress.com" },
    });
    expect(created.status).toBe(201);
    supplier = created.body.supplier;
    expect(supplier).toMatchObject({
      name: "AliExpress EU",
      kind: "aliexpress",
      apiUrl: "https://api-sg.aliexpress.com",
    });
    const taken = await callJson<ErrorBody>(createSupplierRoute, "/api/suppliers", {
      method: "POST",
      key: keys.admin,
      body: { name: "AliExpress EU" },
    });
    expect(taken.status).toBe(409);
    const badUrl = await callJson<ErrorBody>(createSupplierRoute, "/api/suppliers", {
      method: "POST",
      key: keys.admin,
      body: { name: "X", apiUrl: "ftp://x" },
    });
    expect(badUrl.status).toBe(400);
    const operator = await callJson<ErrorBody>(createSupplierRoute, "/api/suppliers", {
      method: "POST",
      key: keys.operator,
      body: { name: "Y" },
    });
    expect(operator.status).toBe(403);
    const list = await callJson<{ suppliers: Supplier[] }>(listSuppliersRoute, "/api/suppliers", { key: keys.viewer });
    expect(list.body.suppliers.map((s) => s.name)).toContain("AliExpress EU");
  });

  it("records one shipment per order and supplier, however often the submission is retried", async () => {
    const first = await recordShipment(suite.db(), {
      orderId: orderIds[0]!,
      supplierId: supplier.id,
      supplierOrderId: "8001",
    });
    const again = await recordShipment(suite.db(), {
      orderId: orderIds[0]!,
      supplierId: supplier.id,
      supplierOrderId: "8001-retry",
    });
    expect(first.created).toBe(true);
    expect(again).toEqual({ shipment: first.shipment, created: false });
    const one = await callJson<Shipment>(getShipmentRoute, `/api/shipments/${first.shipment.id}`, {
      key: keys.viewer,
      params: { id: first.shipment.id },
    });
    expect(one.body).toMatchObject({
      orderId: orderIds[0],
      supplierOrderId: "8001",
      status: "submitted",
      trackingNumber: null,
    });
    const missing = "00000000-0000-4000-8000-000000000000";
    expect(
      (await callJson(getShipmentRoute, `/api/shipments/${missing}`, { key: keys.viewer, params: { id: missing } }))
        .status,
    ).toBe(404);
  });

  it("lists shipments newest first in keyset pages, filtered by order and status", async () => {
    for (const orderId of orderIds.slice(1))
      await recordShipment(suite.db(), {
        orderId,
        supplierId: supplier.id,
        supplierOrderId: `80${orderId.slice(0, 4)}`,
      });
    const seen: Shipment[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { shipments: Shipment[]; nextCursor: string | null } } = await callJson(
        listShipmentsRoute,
        `/api/shipments?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        { key: keys.viewer },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.shipments);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.map((s) => s.orderId).sort()).toEqual([...orderIds].sort());
    expect(seen.map((s) => s.createdAt)).toEqual([...seen.map((s) => s.createdAt)].sort().reverse());
    const byOrder = await callJson<{ shipments: Shipment[] }>(
      listShipmentsRoute,
      `/api/shipments?orderId=${orderIds[1]}`,
      { key: keys.viewer },
    );
    expect(byOrder.body.shipments.map((s) => s.orderId)).toEqual([orderIds[1]]);
    const shipped = await callJson<{ shipments: Shipment[] }>(listShipmentsRoute, "/api/shipments?status=shipped", {
      key: keys.viewer,
    });
    expect(shipped.body.shipments).toEqual([]);
    expect((await callJson(listShipmentsRoute, "/api/shipments?cursor=nope", { key: keys.viewer })).status).toBe(400);
  });
});
