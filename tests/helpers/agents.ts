/** What an agent's action is called with in a test: a direct call's context. */
import type { ActionContext } from "@/agents/framework";
import type { Db } from "@/db/client";

/**
 * The context of a first attempt, not part of a task, with no idempotency key unless given. A
 * test of an action that stores nothing passes no `db` (a placeholder the action never reads).
 */
export function actionContext(
  agent: string,
  action: string,
  options: { db?: Db; idempotencyKey?: string | null } = {},
): ActionContext {
  return {
    db: options.db ?? ({} as Db),
    agent,
    action,
    idempotencyKey: options.idempotencyKey ?? null,
    attempt: 1,
    taskId: null,
    signal: new AbortController().signal,
  };
}
