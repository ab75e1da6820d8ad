import { z } from "zod";
import { RUN_STATUSES } from "@/db/schema";
import { listRuns } from "@/engine/runs";
import { withApiKey } from "@/http/wrappers";

/** `<created_at ISO>|<run id>`, as listRuns returns it in `nextCursor`. */
const runCursor = z
  .string()
  .max(200)
  .regex(/^[^|]+\|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be a nextCursor of this list")
  .transform((s) => {
    const [at, id] = s.split("|") as [string, string];
    return { createdAt: at, id };
  })
  .refine((c) => !Number.isNaN(Date.parse(c.createdAt)), "must be a nextCursor of this list");

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
