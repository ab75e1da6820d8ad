import { z } from "zod";
import { acknowledgeAlert } from "@/operations/alerts/alerts";
import { idParam } from "@/operations/alerts/http";
import { withApiKey } from "@/http/wrappers";

// POST /api/alerts/<id>/ack — an operator owns the alert (no escalation); twice keeps the first; a resolved alert → 409.
export const POST = withApiKey(
  { role: "operator", action: "alerts.ack" },
  async ({ db, optionalJson, params, principal }) => {
    await optionalJson(z.strictObject({})); // no body, or `{}`: junk is still refused
    const id = idParam(params.id, "alert");
    return Response.json({ alert: await acknowledgeAlert(db, id, principal.actor) });
  },
);
