import { z } from "zod";
import { cancelRun } from "@/engine/runs";
import { ApiError } from "@/http/errors";
import { withApiKey } from "@/http/wrappers";

// POST /api/orchestration/runs/<id>/cancel — cancels an unfinished run; 409 when it has already ended.
export const POST = withApiKey({ role: "operator", action: "runs.cancel" }, async ({ db, optionalJson, params }) => {
  await optionalJson(z.strictObject({})); // no body, or `{}`: junk is still refused
  const id = z.guid().safeParse(params.id);
  if (!id.success) throw new ApiError("not_found", "No run has this id.");
  return Response.json(await cancelRun(db, id.data));
});
