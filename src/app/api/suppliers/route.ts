import { withApiKey } from "@/http/wrappers";
import { createSupplier, listSuppliers, supplierInput } from "@/orders/suppliers";

// GET /api/suppliers — every supplier, by name.
export const GET = withApiKey({ role: "viewer" }, async ({ db }) =>
  Response.json({ suppliers: await listSuppliers(db) }),
);

// POST /api/suppliers {name, kind?, apiUrl?} — 201; a taken name → 409.
export const POST = withApiKey({ role: "admin", action: "suppliers.create" }, async ({ db, json, audit }) => {
  const supplier = await createSupplier(db, await json(supplierInput));
  audit.target = supplier.id;
  return Response.json({ supplier }, { status: 201 });
});
