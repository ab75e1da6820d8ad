import { z } from "zod";
import { hasRole } from "@/auth/roles";
import { getRun } from "@/engine/runs";
import { withApiKey } from "@/http/wrappers";
import { maskPersonalData } from "@/privacy/mask";
import { NotFoundError } from "@/errors";

// GET /api/orchestration/runs/<id> — a run with every step, its attempts and their history (email
// addresses masked for viewers, src/privacy/mask.ts).
export const GET = withApiKey({ role: "viewer" }, async ({ db, params, principal }) => {
  const id = z.guid().safeParse(params.id);
  if (!id.success) throw new NotFoundError("No run has this id.");
  const run = await getRun(db, id.data);
  return Response.json(hasRole(principal.role, "operator") ? run : maskPersonalData(run));
});
