import { agentGet, agentPost } from "@/http/agent-route";

// POST /api/agents/automation/<action> — runs one action (signed call or operator key); GET …/health — the probe.
export const POST = agentPost("automation");
export const GET = agentGet("automation");
