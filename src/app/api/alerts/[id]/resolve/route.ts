import { z } from "zod";
import { resolveAlert } from "@/operations/alerts/alerts";
import { idParam } from "@/operations/alerts/http";
import { withApiKey } from "@/http/wrappers";

// POST /api/alerts/<id>/resolve — closes an active or acknowledged alert; resolving twice keeps the first resolution.
export const POST = withApiKey(
  { role: "operator", action: "alerts.resolve" },
  async ({ db, optionalJson, params, principal }) => {
    await optionalJson(z.strictObject({})); // no body, or `{}`: junk is still refused
    const id = idParam(params.id, "alert");
    return Response.json({ alert: await resolveAlert(db, id, principal.actor) });
  },
);
