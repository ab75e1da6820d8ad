/**
 * The two ways the engine reaches an agent, behind one interface:
 * - `http`: a signed POST to the agent's own route (`<base URL>/api/agents/<agent>/<action>`, a
 *   self-call: src/integrations/self-call.ts), so each agent runs in its own serverless function; the default on Vercel.
 * - `inline`: the same action in this process; the default locally and in tests.
 * Both sign the call (method, path and body) with INTER_AGENT_SECRET and check the signature, validate the input and the
 * output against the action's schemas, and carry the idempotency key, the attempt and the task id.
 * (Inline skips only the replay store: a call that never crosses a network cannot be replayed.)
 *
 * Errors come back classified for the engine: the caller's fault (4xx: bad input, unknown action,
 * a refused signature) fails the step at once; the agent's (5xx, network, timeout) is retried.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { getSecret, readEnv } from "@/env";
import { CodedError } from "@/errors";
import { selfBaseUrl, selfCallHeaders } from "@/integrations/self-call";
import { SIGNATURE_HEADER, signRequest, verifyRequestSignature } from "@/auth/signature";
import type { AgentCall, AgentResult } from "@/engine/kinds/agent";
import { NonRetryableError, RetryableError } from "@/step-errors";
import { readLimitedText } from "@/util/read-limited";
import { findAction } from "./catalog";
import { AgentOutputInvalid, runAction } from "./dispatch";
import { memoOnEnv } from "./gateway/env-memo";

export type TransportName = "http" | "inline";

export const HEADERS = {
  idempotencyKey: "idempotency-key",
  attempt: "x-orchestrator-attempt",
  taskId: "x-orchestrator-task-id",
} as const;

const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export const agentTransport: () => TransportName = memoOnEnv(["AGENT_TRANSPORT", "VERCEL"], () => {
  const env = readEnv();
  return env.AGENT_TRANSPORT ?? (env.VERCEL ? "http" : "inline");
});

/** What a failed call means for the engine and for the agent's circuit breaker. */
export class AgentCallFailed extends Error {
  constructor(
    message: string,
    /** true: the agent's fault (counts against its breaker, retried); false: the caller's (fails the step). */
    readonly agentFault: boolean,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "AgentCallFailed";
  }
}

/** Converts a classified failure to the engine's step errors. */
export function toStepError(error: unknown): Error {
  if (error instanceof AgentCallFailed)
    return error.agentFault
      ? new RetryableError(error.message, error.details)
      : new NonRetryableError(error.message, error.details);
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * The body of a signed call: the input and the call's identity, all under the signature (so
 * neither can be altered in transit), with a nonce that makes every call's signature unique
 * (the receiver refuses a signature it has seen: a replay). Manual calls with an API key send
 * the bare input instead.
 */
export const signedCallSchema = z.strictObject({
  input: z.unknown(),
  call: z.strictObject({
    idempotencyKey: z.string().min(1).max(300).nullable(),
    attempt: z.number().int().min(1).max(1_000),
    taskId: z.string().min(1).max(100).nullable(),
    nonce: z.string().min(1).max(100),
  }),
});
export type SignedCall = z.infer<typeof signedCallSchema>;

function body(call: AgentCall): string {
  const envelope: SignedCall = {
    input: call.input ?? {},
    call: { idempotencyKey: call.idempotencyKey, attempt: call.attempt, taskId: call.taskId, nonce: randomUUID() },
  };
  return JSON.stringify(envelope);
}

export async function callInline(call: AgentCall): Promise<AgentResult> {
  const raw = body(call);
  const secret = getSecret("INTER_AGENT_SECRET");
  const request = { method: "POST", path: agentPath(call.agent, call.action), body: raw };
  const check = verifyRequestSignature(secret, signRequest(secret, request), request);
  if (!check.ok) throw new AgentCallFailed(`The call could not be signed (${check.reason}).`, false);
  const envelope = signedCallSchema.parse(JSON.parse(raw));
  try {
    return await runAction(call.agent, call.action, envelope.input, {
      db: call.db,
      ...envelope.call,
      signal: call.signal,
    });
  } catch (error) {
    if (error instanceof CodedError && error.status < 500)
      throw new AgentCallFailed(error.message, false, error.details);
    if (error instanceof AgentOutputInvalid) throw new AgentCallFailed(error.message, true, error.issues);
    if (error instanceof NonRetryableError) throw new AgentCallFailed(error.message, false, error.details);
    throw new AgentCallFailed(
      `${call.agent}/${call.action} failed: ${error instanceof Error ? error.message : String(error)}`,
      true,
    );
  }
}

/** The app's path of an action's route: what its signature names (src/auth/signature.ts). */
export function agentPath(agent: string, action: string): string {
  return `/api/agents/${encodeURIComponent(agent)}/${encodeURIComponent(action)}`;
}

export function agentUrl(agent: string, action: string): string {
  const base = selfBaseUrl();
  if (!base)
    throw new AgentCallFailed("PUBLIC_BASE_URL is not set: the http agent transport cannot reach the agents.", false);
  return `${base}${agentPath(agent, action)}`;
}

export async function callHttp(call: AgentCall): Promise<AgentResult> {
  const raw = body(call);
  const url = agentUrl(call.agent, call.action);
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      // The agents' routes are our own: the protection bypass header when one is configured.
      headers: selfCallHeaders({
        "content-type": "application/json",
        [SIGNATURE_HEADER]: signRequest(getSecret("INTER_AGENT_SECRET"), {
          method: "POST",
          path: agentPath(call.agent, call.action),
          body: raw,
        }),
        [HEADERS.idempotencyKey]: call.idempotencyKey,
        [HEADERS.attempt]: String(call.attempt),
        [HEADERS.taskId]: call.taskId,
      }),
      body: raw,
      redirect: "manual",
      signal: call.signal,
    });
  } catch (error) {
    throw new AgentCallFailed(
      `${call.agent}/${call.action} did not answer: ${error instanceof Error ? error.message : String(error)}`,
      true,
    );
  }
  const text = await readLimitedText(res, MAX_RESPONSE_BYTES);
  if (text === null)
    throw new AgentCallFailed(`${call.agent}/${call.action} answered more than ${MAX_RESPONSE_BYTES} bytes.`, true);
  let parsed: unknown = null;
  try {
    parsed = text ? (JSON.parse(text) as unknown) : null;
  } catch {
    parsed = text;
  }
  if (res.status === 202) return { status: "accepted" };
  if (res.status >= 200 && res.status < 300) {
    // The route validated its output before sending it; what arrived must still be that output.
    // A body cut short (the serving instance died mid-answer) or anything else is the agent's
    // fault, retried, and never recorded as the step's output for its successors to read.
    const schema = findAction(call.agent, call.action)?.output;
    const checked = schema ? schema.safeParse(parsed) : { success: true as const };
    if (!checked.success)
      throw new AgentCallFailed(
        `${call.agent}/${call.action} answered ${res.status} with a body that is not its output`,
        true,
      );
    return { status: "completed", output: parsed };
  }
  const apiError = (parsed as { error?: { message?: unknown; details?: unknown } } | null)?.error;
  const message = `${call.agent}/${call.action} answered ${res.status}${typeof apiError?.message === "string" ? `: ${apiError.message}` : ""}`;
  // 401/403: the deployment refused the call itself (Deployment Protection without the bypass
  // header, a signing secret that differs between instances mid-deploy), not the step's input:
  // retried and counted against the breaker, which then defers the agent's steps until fixed.
  const refused = res.status === 401 || res.status === 403;
  const agentFault =
    refused || res.status >= 500 || res.status === 408 || res.status === 429 || (res.status >= 300 && res.status < 400);
  throw new AgentCallFailed(message, agentFault, apiError?.details);
}
