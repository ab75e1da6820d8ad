import { z } from "zod";
import { withApiKey } from "@/http/wrappers";
import { eraseSiteClient } from "@/projects/site-clients";
import { NotFoundError } from "@/errors";

const erasureBody = z.union([z.strictObject({ projectId: z.guid() }), z.strictObject({ email: z.email().max(320) })], {
  error: "Give exactly one of projectId (a project id) or email (the client's contact email).",
});

// POST /api/privacy/site-clients/erasures {projectId} | {email} — erases a site client's personal data
// (order form, contact email and its hash, the email sent to them); the published site stays (the
// business's public content, see src/projects/site-clients.ts). Admin only: it cannot be undone.
// 200 {projectIds, alreadyErased, messages}; an unknown project id → 404. Audited (ids only, never the email).
export const POST = withApiKey({ role: "admin", action: "privacy.site_client.erase" }, async ({ db, json, audit }) => {
  const target = await json(erasureBody);
  audit.target = "projectId" in target ? target.projectId : undefined;
  const result = await eraseSiteClient(db, target);
  audit.details = {
    by: "projectId" in target ? "project" : "email",
    projectIds: result.projectIds,
    alreadyErased: result.alreadyErased,
    messages: result.messages,
  };
  if ("projectId" in target && result.projectIds.length + result.alreadyErased.length === 0) {
    throw new NotFoundError("No project has this id.");
  }
  return Response.json(result, { headers: { "Cache-Control": "no-store" } });
});
