import { z } from "zod";
import { hasRole } from "@/auth/roles";
import { RUN_STATUSES } from "@/db/schema";
import { listRuns } from "@/engine/runs";
import { keysetCursor } from "@/db/keyset";
import { withApiKey } from "@/http/wrappers";
import { maskPersonalData } from "@/privacy/mask";

const runCursor = keysetCursor.transform((c) => ({ createdAt: c.at, id: c.id }));

const runsQuery = z.strictObject({
  workflow: z.string().min(1).max(200).optional(),
  status: z.enum(RUN_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: runCursor.optional(),
});

// GET /api/orchestration/runs?workflow=&status=&limit=&cursor= — runs, newest first, in keyset pages
// (email addresses masked for viewers, src/privacy/mask.ts).
export const GET = withApiKey({ role: "viewer" }, async ({ db, query, principal }) => {
  const { workflow, status, limit, cursor } = query(runsQuery);
  const page = await listRuns(db, { workflow, status, limit, cursor });
  return Response.json(hasRole(principal.role, "operator") ? page : maskPersonalData(page));
});
