import { agentGet, agentPost } from "@/http/agent-route";

// POST /api/agents/design-ia/<action> — runs one action (signed call or operator key); GET …/health — the probe.
export const POST = agentPost("design-ia");
export const GET = agentGet("design-ia");
