import { z } from "zod";
import { kickTick } from "@/engine/kick";
import { cancelRun } from "@/engine/runs";
import { afterResponse } from "@/http/after-response";
import { withApiKey } from "@/http/wrappers";
import { NotFoundError } from "@/errors";

// POST /api/orchestration/runs/<id>/cancel — cancels an unfinished run; 409 when it has already ended.
// A cancelled run may free a concurrency slot (the next queued run of its key is admitted): kick the tick.
export const POST = withApiKey({ role: "operator", action: "runs.cancel" }, async ({ db, optionalJson, params }) => {
  await optionalJson(z.strictObject({})); // no body, or `{}`: junk is still refused
  const id = z.guid().safeParse(params.id);
  if (!id.success) throw new NotFoundError("No run has this id.");
  const run = await cancelRun(db, id.data);
  afterResponse(() => kickTick(db));
  return Response.json(run);
});
