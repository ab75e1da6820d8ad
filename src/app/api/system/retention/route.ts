import { withApiKey } from "@/http/wrappers";
import { retentionStatus } from "@/operations/retention/status";

// GET /api/system/retention — each pruned table's retention, and its last pass: rows deleted, oldest row left, when (viewer, like every dashboard read).
export const GET = withApiKey({ role: "viewer" }, async ({ db }) =>
  Response.json(await retentionStatus(db), { headers: { "Cache-Control": "no-store" } }),
);
