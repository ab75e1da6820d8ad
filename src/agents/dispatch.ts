/**
 * Runs one action the way every transport must: the input validated against the action's
 * schema, the handler, and the output validated before it leaves. Both transports (a signed
 * HTTP call to the agent's route, or in process) and manual calls by operators go through here.
 */
import { type z } from "zod";
import { NotFoundError, ValidationError } from "@/errors";
import { findAction } from "./catalog";
import { isAccepted, type ActionContext } from "./framework";

export type ActionOutcome = { status: "completed"; output: unknown } | { status: "accepted" };

function issues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

/** The agent answered something its own output schema refuses: the agent's bug, never the caller's. */
export class AgentOutputInvalid extends Error {
  constructor(
    readonly agent: string,
    readonly action: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(`${agent}/${action} produced an output that does not match its schema.`);
    this.name = "AgentOutputInvalid";
  }
}

export async function runAction(
  agent: string,
  action: string,
  input: unknown,
  ctx: Omit<ActionContext, "agent" | "action">,
): Promise<ActionOutcome> {
  const spec = findAction(agent, action);
  if (!spec) throw new NotFoundError(`The agent "${agent}" has no action "${action}".`);
  const parsed = spec.input.safeParse(input);
  if (!parsed.success) throw new ValidationError(`The input of ${agent}/${action} is invalid.`, issues(parsed.error));
  const result = await spec.handler(parsed.data, { ...ctx, agent, action });
  if (isAccepted(result)) return { status: "accepted" };
  const output = spec.output.safeParse(result);
  if (!output.success) throw new AgentOutputInvalid(agent, action, issues(output.error));
  return { status: "completed", output: output.data };
}
