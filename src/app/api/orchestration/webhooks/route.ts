import { z } from "zod";
import { applyTaskCallback } from "@/engine/callbacks";
import { kickTick } from "@/engine/kick";
import { afterResponse } from "@/http/after-response";
import { withSignedCall } from "@/http/wrappers";

const taskId = z.string().min(1).max(100);
const callback = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("task_completed"), taskId, output: z.unknown().optional() }),
  z.strictObject({
    type: z.literal("task_failed"),
    taskId,
    error: z.union([
      z.string().min(1).max(2_000),
      z.strictObject({
        message: z.string().min(1).max(2_000),
        retryable: z.boolean().optional(),
        details: z.unknown().optional(),
      }),
    ]),
  }),
  z.strictObject({ type: z.literal("task_progress"), taskId, progress: z.unknown() }),
]);

// POST /api/orchestration/webhooks (signed) {type: task_completed|task_failed|task_progress, taskId, output?, error?, progress?}
// — an async agent's answer: 200 {duplicate, runId, step, status}; 409 for an attempt that is not waiting.
// Replays are not refused here: a callback is idempotent (a repeat is answered as a duplicate).
export const POST = withSignedCall(
  async ({ db, json }) => {
    const body = await json(callback);
    const result = await applyTaskCallback(db, body);
    if (!result.duplicate && body.type !== "task_progress") afterResponse(() => kickTick(db));
    return Response.json(result);
  },
  { rejectReplays: false },
);
