import { agentGet, agentPost } from "@/http/agent-route";

// POST /api/agents/ads/<action> — runs one action (signed call or operator key); GET …/health — the probe.
export const POST = agentPost("ads");
export const GET = agentGet("ads");
