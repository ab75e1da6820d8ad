import { z } from "zod";
import { recordAudit } from "@/auth/audit";
import { withApiKey } from "@/http/wrappers";
import { readDataExport } from "@/orders/data-requests";
import { NotFoundError } from "@/errors";

// GET /api/privacy/exports/<id> — a customer data export (customers/data_request), decrypted, for an admin; each download is audited.
export const GET = withApiKey({ role: "admin" }, async ({ db, params, principal }) => {
  const id = z.guid().safeParse(params.id);
  if (!id.success) throw new NotFoundError("No data export has this id.");
  const document = await readDataExport(db, id.data);
  // Reading personal data is recorded like a change (GET calls are not audited by the wrapper).
  await recordAudit(db, {
    actor: principal.actor,
    keyId: principal.keyId,
    action: "privacy.export.download",
    target: id.data,
    outcome: 200,
    details: null,
  });
  return Response.json(document, { headers: { "Cache-Control": "no-store" } });
});
