import { agentGet, agentPost } from "@/http/agent-route";

// POST /api/agents/core/<action> — runs one action (signed call or operator key); GET …/health — the probe.
export const POST = agentPost("core");
export const GET = agentGet("core");
