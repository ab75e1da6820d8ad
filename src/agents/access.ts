/**
 * Who may run an agent action, and under which idempotency key.
 *
 * - The engine's signed calls (src/auth/signature.ts) may run every action: the signature names
 *   the action's path, so a captured call cannot be turned to another one.
 * - A direct call (an API key or the dashboard's session) may run an action only when the action
 *   declares `directCall` with a role the caller has (src/agents/framework.ts); every other action
 *   answers 403, whatever the caller's role. Unknown actions are a 404 first, so the answer never
 *   depends on a role the caller lacks.
 * - A direct caller's `Idempotency-Key` is namespaced by who sent it (`direct:<actor>:<key>`).
 *   Engine keys are `<run id>:<step>[:<index>]` (a uuid first), so no direct key can equal one and
 *   pre-empt a workflow's own deduplication (an outbox message, an order submission), and two
 *   callers' keys never collide with each other either.
 */
import { hasRole, type Principal } from "@/auth/roles";
import { ForbiddenError, NotFoundError } from "@/errors";
import { findAction } from "./catalog";

export type ActionCaller = { kind: "signed" } | { kind: "api-key"; principal: Principal };

export const DIRECT_KEY_PREFIX = "direct:";

/** Throws 404 for an unknown action and 403 for a direct caller the action does not admit. */
export function assertMayCall(agent: string, action: string, caller: ActionCaller): void {
  const spec = findAction(agent, action);
  if (!spec) throw new NotFoundError(`The agent "${agent}" has no action "${action}".`);
  if (caller.kind === "signed") return;
  if (spec.directCall === undefined) {
    throw new ForbiddenError(
      `${agent}/${action} runs only as a workflow step (signed engine calls); it cannot be called with an API key.`,
    );
  }
  if (!hasRole(caller.principal.role, spec.directCall)) {
    throw new ForbiddenError(
      `${agent}/${action} needs the ${spec.directCall} role; this key has ${caller.principal.role}.`,
    );
  }
}

/** The idempotency key a direct call runs under (see the file's comment); null without one. */
export function directIdempotencyKey(principal: Principal, key: string | null): string | null {
  return key === null ? null : `${DIRECT_KEY_PREFIX}${principal.actor}:${key}`;
}
