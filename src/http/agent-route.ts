/**
 * The handlers behind every agent's route folder (`src/app/api/agents/<agent>/[action]/route.ts`),
 * so each agent is its own serverless function with its own maxDuration:
 * - `POST /api/agents/<agent>/<action>`: runs the action (signed call from the engine, or an
 *   operator's API key) → 200 with the output, or 202 `{accepted: true, taskId}` when the
 *   action will answer through `POST /api/orchestration/webhooks`;
 * - `GET /api/agents/<agent>/health`: the probe `/api/health/agents` uses.
 */
import { z } from "zod";
import { findAgent } from "@/agents/catalog";
import { runAction } from "@/agents/dispatch";
import { HEADERS, signedCallSchema } from "@/agents/transport";
import { NotFoundError } from "@/errors";
import { parseJsonText } from "./body";
import { withSignedCallOrApiKey, type RouteHandler } from "./wrappers";

const keyHeader = z.string().min(1).max(300).nullable().catch(null);

export function agentPost(agent: string): RouteHandler {
  return withSignedCallOrApiKey({ role: "operator", action: "agents.call" }, async ({ db, rawBody, params, req, caller }) => {
    const action = params.action ?? "";
    const body = rawBody.trim() === "" ? {} : parseJsonText(rawBody, z.unknown());
    // Signed calls carry the input and the call's identity under the signature (transport.ts);
    // a manual call sends the bare input and is attempt 1 of no task.
    const { input, call } =
      caller.kind === "signed"
        ? signedCallSchema.parse(body)
        : { input: body, call: { idempotencyKey: keyHeader.parse(req.headers.get(HEADERS.idempotencyKey)), attempt: 1, taskId: null } };
    const outcome = await runAction(agent, action, input, { db, idempotencyKey: call.idempotencyKey, attempt: call.attempt, taskId: call.taskId, signal: req.signal });
    if (outcome.status === "accepted") return Response.json({ accepted: true, taskId: call.taskId }, { status: 202 });
    return Response.json(outcome.output ?? null);
  });
}

export interface AgentProbe {
  agent: string;
  status: "ok";
  actions: string[];
  checkedAt: string;
}

/** What the probe answers: the agent is deployed, loads, and lists its actions. */
export function probeAnswer(agent: string): AgentProbe {
  const spec = findAgent(agent);
  if (!spec) throw new NotFoundError(`There is no agent "${agent}".`);
  return { agent, status: "ok", actions: Object.keys(spec.actions), checkedAt: new Date().toISOString() };
}

export function agentGet(agent: string): RouteHandler {
  // A read-only probe: replays are harmless, and concurrent probes would share a MAC (empty body).
  return withSignedCallOrApiKey({ role: "viewer", rejectReplays: false }, async ({ params }) => {
    if (params.action !== "health") throw new NotFoundError(`GET is only for /api/agents/${agent}/health; actions are called with POST.`);
    return Response.json(probeAnswer(agent));
  });
}
