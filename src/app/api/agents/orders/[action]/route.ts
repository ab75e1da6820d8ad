import { agentGet, agentPost } from "@/http/agent-route";

// POST /api/agents/orders/<action> — runs one action (signed call or operator key); GET …/health — the probe.
export const POST = agentPost("orders");
export const GET = agentGet("orders");
