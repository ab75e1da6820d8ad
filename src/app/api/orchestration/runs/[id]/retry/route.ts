import { z } from "zod";
import { kickTick } from "@/engine/kick";
import { retryRun } from "@/engine/runs";
import { afterResponse } from "@/http/after-response";
import { withApiKey } from "@/http/wrappers";
import { NotFoundError } from "@/errors";

// POST /api/orchestration/runs/<id>/retry — resumes a failed run from where it failed; 409 unless it failed.
export const POST = withApiKey({ role: "operator", action: "runs.retry" }, async ({ db, optionalJson, params }) => {
  await optionalJson(z.strictObject({})); // no body, or `{}`: junk is still refused
  const id = z.guid().safeParse(params.id);
  if (!id.success) throw new NotFoundError("No run has this id.");
  const run = await retryRun(db, id.data);
  afterResponse(() => kickTick(db));
  return Response.json(run);
});
