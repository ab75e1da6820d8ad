/**
 * Async agent answers (`POST /api/orchestration/webhooks`). An action that answered 202 left its
 * step `waiting`; the agent reports back with the task id it was given (`<step id>.<fence>`):
 * - `task_completed` / `task_failed` finish that attempt exactly as if the call had answered
 *   (same completion code: retries, dependents, the run's end);
 * - `task_progress` stores progress on the step (shown by the run API).
 * A callback for an unknown, finished, cancelled or superseded attempt changes nothing and is
 * a conflict; the same callback twice is answered as a duplicate and changes nothing.
 * A callback that arrives before the engine recorded the 202 (the agent was quick) finds the
 * attempt still `running` under the same fence, and completes it all the same.
 */
import type { Db } from "@/db/client";
import { ConflictError } from "@/errors";
import { completeStep, type Completion } from "./complete";
import { DEFAULT_RETRY } from "./definition";
import type { StepResult } from "./execute";
import { countRecorded, lockTaskStep, resumeWaiting, setProgress, stepStatus } from "./sql/callback";
import type { ClaimedStep } from "./sql/claim";
import { toNumber } from "@/db/rows";
import { NonRetryableError, RetryableError } from "@/step-errors";
import { loadRunContexts } from "./tick";

export type TaskCallback =
  | { type: "task_completed"; taskId: string; output?: unknown }
  | { type: "task_failed"; taskId: string; error: string | { message: string; retryable?: boolean; details?: unknown } }
  | { type: "task_progress"; taskId: string; progress: unknown };

export interface CallbackResult {
  duplicate: boolean;
  runId: string;
  step: string;
  /** The step's status after the callback. */
  status: string;
}

const TASK_ID = /^(\d{1,18})\.(\d{1,18})$/;

function conflict(message: string): ConflictError {
  return new ConflictError(message);
}

export async function applyTaskCallback(db: Db, callback: TaskCallback): Promise<CallbackResult> {
  const m = TASK_ID.exec(callback.taskId);
  if (!m) throw conflict(`Unknown task "${callback.taskId}".`);
  const stepId = Number(m[1]);
  const fence = Number(m[2]);
  return db.transaction(async (tx) => {
    const row = await lockTaskStep(tx, stepId);
    if (!row || row.kind !== "agent") throw conflict(`Unknown task "${callback.taskId}".`);
    const result = (status: string, duplicate = false): CallbackResult => ({
      duplicate,
      runId: row.run_id,
      step: row.name,
      status,
    });
    if (callback.type !== "task_progress") {
      const outcome = callback.type === "task_completed" ? "succeeded" : "failed";
      if ((await countRecorded(tx, stepId, fence, outcome)) > 0) return result(row.status, true);
    }
    const live = toNumber(row.fence) === fence && (row.status === "waiting" || row.status === "running");
    if (!live) {
      const why = toNumber(row.fence) !== fence ? "a newer attempt replaced it" : `the step is ${row.status}`;
      throw conflict(`Task "${callback.taskId}" is not waiting for an answer: ${why}.`);
    }
    if (callback.type === "task_progress") {
      await setProgress(tx, stepId, callback.progress);
      return result(row.status);
    }
    if (row.status === "waiting") {
      // The attempt resumes (a parked attempt did not count; its answer makes it count).
      await resumeWaiting(tx, stepId);
    }
    const attempts = toNumber(row.attempts) + (row.status === "waiting" ? 1 : 0);
    const claimed: ClaimedStep = {
      id: stepId,
      runId: row.run_id,
      name: row.name,
      itemIndex: toNumber(row.item_index),
      kind: row.kind,
      attempt: attempts,
      maxAttempts: toNumber(row.max_attempts),
      timeoutMs: toNumber(row.timeout_ms),
      fence,
      item: row.item,
      firstStartedAt: new Date((row.started_at as string | Date | null) ?? Date.now()),
      claimedAt: new Date(
        (row.wait_since as string | Date | null) ?? (row.started_at as string | Date | null) ?? Date.now(),
      ),
    };
    const run = (await loadRunContexts(tx, [row.run_id])).get(row.run_id);
    if (!run) throw conflict(`Unknown task "${callback.taskId}".`);
    const stepResult: StepResult =
      callback.type === "task_completed"
        ? { type: "succeeded", output: callback.output ?? null, input: row.input }
        : { type: "failed", error: failure(callback.error), input: row.input };
    const completion: Completion = await completeStep(
      tx,
      run,
      claimed,
      stepResult,
      run.plan.step(row.name)?.retry ?? DEFAULT_RETRY,
    );
    if (completion.outcome === "discarded") throw conflict(`Task "${callback.taskId}" was superseded.`);
    return result((await stepStatus(tx, stepId)) ?? row.status);
  });
}

function failure(error: Extract<TaskCallback, { type: "task_failed" }>["error"]): Error {
  if (typeof error === "string") return new NonRetryableError(error);
  return error.retryable
    ? new RetryableError(error.message, error.details)
    : new NonRetryableError(error.message, error.details);
}
