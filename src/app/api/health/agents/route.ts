import { agentsHealth } from "@/agents/health";
import { withApiKey } from "@/http/wrappers";

// GET /api/health/agents — each agent's probe, circuit, recent error rate and latency.
export const GET = withApiKey({ role: "viewer" }, async ({ db }) =>
  Response.json({ agents: await agentsHealth(db) }, { headers: { "Cache-Control": "no-store" } }),
);
