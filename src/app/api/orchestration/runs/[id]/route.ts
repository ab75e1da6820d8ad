import { z } from "zod";
import { getRun } from "@/engine/runs";
import { ApiError } from "@/http/errors";
import { withApiKey } from "@/http/wrappers";

// GET /api/orchestration/runs/<id> — a run with every step, its attempts and their history.
export const GET = withApiKey({ role: "viewer" }, async ({ db, params }) => {
  const id = z.guid().safeParse(params.id);
  if (!id.success) throw new ApiError("not_found", "No run has this id.");
  return Response.json(await getRun(db, id.data));
});
