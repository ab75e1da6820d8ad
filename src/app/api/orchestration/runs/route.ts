import { z } from "zod";
import { RUN_STATUSES } from "@/db/schema";
import { listRuns } from "@/engine/runs";
import { keysetCursor } from "@/http/keyset";
import { withApiKey } from "@/http/wrappers";

const runCursor = keysetCursor.transform((c) => ({ createdAt: c.at, id: c.id }));

const runsQuery = z.strictObject({
  workflow: z.string().min(1).max(200).optional(),
  status: z.enum(RUN_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: runCursor.optional(),
});

// GET /api/orchestration/runs?workflow=&status=&limit=&cursor= — runs, newest first, in keyset pages.
export const GET = withApiKey({ role: "viewer" }, async ({ db, query }) => {
  const { workflow, status, limit, cursor } = query(runsQuery);
  return Response.json(await listRuns(db, { workflow, status, limit, cursor }));
});
