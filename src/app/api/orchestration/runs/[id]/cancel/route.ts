import { z } from "zod";
import { cancelRun } from "@/engine/runs";
import { assertJsonContentType, parseJsonText, readRawBody } from "@/http/body";
import { ApiError } from "@/http/errors";
import { withApiKey } from "@/http/wrappers";

/** No body, or `{}` as JSON: nothing to read, but junk is still refused like everywhere else. */
async function readEmptyBody(req: Request): Promise<void> {
  const raw = await readRawBody(req);
  if (raw.trim() === "") return;
  assertJsonContentType(req);
  parseJsonText(raw, z.strictObject({}));
}

// POST /api/orchestration/runs/<id>/cancel — cancels an unfinished run; 409 when it has already ended.
export const POST = withApiKey({ role: "operator", action: "runs.cancel" }, async ({ db, req, params }) => {
  await readEmptyBody(req);
  const id = z.guid().safeParse(params.id);
  if (!id.success) throw new ApiError("not_found", "No run has this id.");
  return Response.json(await cancelRun(db, id.data));
});
