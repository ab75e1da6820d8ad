import { z } from "zod";
import { kickTick } from "@/engine/kick";
import { retryRun } from "@/engine/runs";
import { afterResponse } from "@/http/after-response";
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

// POST /api/orchestration/runs/<id>/retry — resumes a failed run from where it failed; 409 unless it failed.
export const POST = withApiKey({ role: "operator", action: "runs.retry" }, async ({ db, req, params }) => {
  await readEmptyBody(req);
  const id = z.guid().safeParse(params.id);
  if (!id.success) throw new ApiError("not_found", "No run has this id.");
  const run = await retryRun(db, id.data);
  afterResponse(kickTick);
  return Response.json(run);
});
