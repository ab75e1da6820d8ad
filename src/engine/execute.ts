/**
 * Runs one claimed attempt and says what it came to; it writes nothing (complete.ts does).
 * Templates are rendered here, per attempt, from the run's input, trigger and the outputs
 * of the steps that already succeeded.
 */
import type { Db } from "@/db/client";
import { isTruthy, renderTemplates, TemplateError, type StepDefinition, type TemplateScope } from "./definition";
import { forEachItems } from "./for-each";
import { agentInvoker } from "./kinds/agent";
import { runHttpStep } from "./kinds/http";
import type { Plan } from "./plan";
import type { ClaimedStep } from "./sql/claim";
import { NonRetryableError, StepTimeoutError } from "@/step-errors";

export interface RunContext {
  id: string;
  workflow: string;
  version: number;
  status: string;
  input: unknown;
  trigger: unknown;
  plan: Plan;
  outputs: Record<string, { output: unknown }>;
}

export type StepResult =
  | {
      type: "succeeded";
      output: unknown;
      input?: unknown;
      emit?: { topic: string; data: unknown };
      /** An agent step its invoker answered from its result cache (tick.ts marks the step). */
      cached?: { key: string; storedAt: string };
    }
  | { type: "failed"; error: unknown; input?: unknown }
  | { type: "skipped" }
  | { type: "expand"; items: unknown[] }
  /** Park the step until `readyAt` (sleep end, wait timeout); `waitTopic` for wait_for_event. */
  | { type: "park"; readyAt: Date; waitTopic?: string; input?: unknown }
  /** Not run at all (the agent's circuit is open, or its rate limit is spent): back to the queue until `readyAt`, no attempt used. */
  | { type: "defer"; readyAt: Date; reason: string };

export function idempotencyKey(step: ClaimedStep): string {
  return step.itemIndex >= 0 ? `${step.runId}:${step.name}:${step.itemIndex}` : `${step.runId}:${step.name}`;
}

/**
 * Names one attempt of an agent step for an async answer (`POST /api/orchestration/webhooks`):
 * the step row and its fencing token, so a callback for a superseded attempt is recognised.
 */
export function taskIdOf(step: Pick<ClaimedStep, "id" | "fence">): string {
  return `${step.id}.${step.fence}`;
}

export function scopeFor(run: RunContext, step: ClaimedStep): TemplateScope {
  const scope: TemplateScope = {
    input: run.input,
    trigger: run.trigger,
    steps: run.outputs,
    run: { id: run.id, workflow: run.workflow, version: run.version },
  };
  if (step.itemIndex >= 0) {
    scope.item = (step.item as { item?: unknown } | null)?.item ?? null;
    scope.index = step.itemIndex;
  } else if (step.item && typeof step.item === "object" && "error" in step.item) {
    scope.error = (step.item as { error: unknown }).error; // error handlers see the failure
  }
  return scope;
}

/** Decides `when` and `for_each` (first claim of a step), then runs its kind. */
export async function executeStep(db: Db, run: RunContext, step: ClaimedStep): Promise<StepResult> {
  const def = run.plan.step(step.name);
  if (!def)
    return {
      type: "failed",
      error: new NonRetryableError(`Step "${step.name}" is not in version ${run.version} of ${run.workflow}.`),
    };
  const scope = scopeFor(run, step);
  try {
    if (step.itemIndex < 0) {
      if (def.when !== undefined && !isTruthy(renderTemplates(def.when, scope))) return { type: "skipped" };
      if (def.forEach !== undefined) {
        return { type: "expand", items: forEachItems(step.name, renderTemplates(def.forEach, scope)) };
      }
    }
    return await runKind(db, def, step, scope);
  } catch (error) {
    // A template that fails to render fails the same way on every attempt: no retry.
    if (error instanceof TemplateError)
      return { type: "failed", error: new NonRetryableError(`${error.message}`, { expression: error.expression }) };
    return { type: "failed", error };
  }
}

async function withTimeout<T>(timeoutMs: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new StepTimeoutError(timeoutMs));
    }, timeoutMs);
  });
  try {
    return await Promise.race([fn(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function runKind(db: Db, def: StepDefinition, step: ClaimedStep, scope: TemplateScope): Promise<StepResult> {
  const call = { idempotencyKey: idempotencyKey(step), attempt: step.attempt };
  switch (def.kind) {
    case "sleep":
      return { type: "park", readyAt: new Date(step.firstStartedAt.getTime() + def.durationMs) };
    case "wait_for_event":
      return {
        type: "park",
        readyAt: new Date(step.claimedAt.getTime() + def.waitForEvent.timeoutMs),
        waitTopic: def.waitForEvent.topic,
      };
    case "emit": {
      const data = renderTemplates(def.emit.data ?? null, scope);
      return {
        type: "succeeded",
        output: null,
        input: { topic: def.emit.topic, data },
        emit: { topic: def.emit.topic, data },
      };
    }
    case "http": {
      const spec = renderTemplates(
        { url: def.http.url, method: def.http.method, headers: def.http.headers, body: def.http.body ?? null },
        scope,
      ) as {
        url: string;
        method: string;
        headers: Record<string, unknown>;
        body: unknown;
      };
      if (typeof spec.url !== "string") throw new NonRetryableError("The http url must be a string.");
      const output = await withTimeout(step.timeoutMs, (signal) =>
        runHttpStep(spec, { ...call, signal, definitionHeaders: def.http.headers }),
      );
      return { type: "succeeded", output, input: spec };
    }
    case "agent": {
      const input = renderTemplates(def.input ?? null, scope);
      const result = await withTimeout(step.timeoutMs, (signal) =>
        agentInvoker().invoke({
          db,
          agent: def.agent,
          action: def.action,
          input,
          ...call,
          taskId: taskIdOf(step),
          timeoutMs: step.timeoutMs,
          signal,
        }),
      );
      if (result.status === "accepted")
        return { type: "park", readyAt: new Date(step.claimedAt.getTime() + step.timeoutMs), input };
      if (result.status === "deferred") return { type: "defer", readyAt: result.until, reason: result.reason };
      if (result.cached) return { type: "succeeded", output: result.output, input, cached: result.cached };
      return { type: "succeeded", output: result.output, input };
    }
  }
}
