import { describeAgents } from "@/agents/catalog";
import { withApiKey } from "@/http/wrappers";

// GET /api/agents — every agent, its actions, their input and output JSON Schemas and timeouts.
export const GET = withApiKey({ role: "viewer" }, async () => Response.json({ agents: describeAgents() }));
