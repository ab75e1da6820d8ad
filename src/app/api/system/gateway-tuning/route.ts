import { gatewayTuning } from "@/agents/gateway/tuning-view";
import { withApiKey } from "@/http/wrappers";

// GET /api/system/gateway-tuning (viewer) — adaptive timeouts per action (static value beside), concurrency limits per agent with their recent changes.
export const GET = withApiKey({ role: "viewer" }, async ({ db }) =>
  Response.json(await gatewayTuning(db), { headers: { "Cache-Control": "no-store" } }),
);
