/**
 * The handlers behind every agent's route folder (`src/app/api/agents/<agent>/[action]/route.ts`),
 * so each agent is its own serverless function with its own maxDuration:
 * - `POST /api/agents/<agent>/<action>`: runs the action (signed call from the engine, or an
 *   API key with the role the action declares for direct calls) → 200 with the output, or 202 `{accepted: true, taskId}` when the
 *   action will answer through `POST /api/orchestration/webhooks`;
 * - `GET /api/agents/<agent>/health`: the agent's probe (src/agents/probe.ts), which
 *   `/api/health/agents` calls over the http transport.
 */
import { z } from "zod";
import { assertMayCall, directIdempotencyKey } from "@/agents/access";
import { runAction } from "@/agents/dispatch";
import { probeAgent } from "@/agents/health";
import { HEADERS, signedCallSchema } from "@/agents/transport";
import { NotFoundError } from "@/errors";
import { parseJsonText } from "./body";
import { withSignedCallOrApiKey, type RouteHandler } from "./wrappers";

const keyHeader = z.string().min(1).max(300).nullable().catch(null);

export function agentPost(agent: string): RouteHandler {
  // `viewer` lets every key reach the action's own check (assertMayCall): the action declares
  // who may call it directly, signed-only unless it says otherwise (src/agents/access.ts).
  return withSignedCallOrApiKey(
    { role: "viewer", action: "agents.call" },
    async ({ db, rawBody, params, req, caller }) => {
      const action = params.action ?? "";
      assertMayCall(agent, action, caller);
      const body = rawBody.trim() === "" ? {} : parseJsonText(rawBody, z.unknown());
      // Signed calls carry the input and the call's identity under the signature (transport.ts);
      // a direct call sends the bare input and is attempt 1 of no task, its idempotency key
      // namespaced by its caller.
      const { input, call } =
        caller.kind === "signed"
          ? signedCallSchema.parse(body)
          : {
              input: body,
              call: {
                idempotencyKey: directIdempotencyKey(
                  caller.principal,
                  keyHeader.parse(req.headers.get(HEADERS.idempotencyKey)),
                ),
                attempt: 1,
                taskId: null,
              },
            };
      const outcome = await runAction(agent, action, input, {
        db,
        idempotencyKey: call.idempotencyKey,
        attempt: call.attempt,
        taskId: call.taskId,
        signal: req.signal,
      });
      if (outcome.status === "accepted") return Response.json({ accepted: true, taskId: call.taskId }, { status: 202 });
      return Response.json(outcome.output ?? null);
    },
  );
}

export function agentGet(agent: string): RouteHandler {
  // A read-only probe: replays are harmless, and concurrent probes would share a MAC (empty body).
  return withSignedCallOrApiKey({ role: "viewer", rejectReplays: false }, async ({ db, params }) => {
    if (params.action !== "health")
      throw new NotFoundError(`GET is only for /api/agents/${agent}/health; actions are called with POST.`);
    // The real probe (src/agents/probe.ts), run in the agent's own function; 503 when it is down.
    const probe = await probeAgent(db, agent);
    return Response.json(probe, {
      status: probe.status === "down" ? 503 : 200,
      headers: { "Cache-Control": "no-store" },
    });
  });
}
