/**
 * A `for_each` over `forEachItems` items, each an `http` call to the receiver, then a step that
 * emits how many outputs it collected: the run must succeed with every item's output.
 */
import { RehearsalFailure } from "../util";
import { awaitRuns, type WorkloadContext, type WorkloadResult } from "./context";

export const FOR_EACH_WORKFLOW = "rehearsal_for_each";
export const FOR_EACH_TOPIC = "rehearsal.for_each.done";

export async function forEach(ctx: WorkloadContext): Promise<WorkloadResult> {
  const n = ctx.options.forEachItems;
  const yaml = `name: ${FOR_EACH_WORKFLOW}
description: The rehearsal's fan-out.
steps:
  - name: items
    for_each: "{{ input.items }}"
    http: { url: "${ctx.receiver.url}/fanout/{{ run.id }}/{{ item }}", method: POST, body: { item: "{{ item }}" } }
    timeout: 5s
    retry: { max_attempts: 20, backoff: exponential, initial_interval: 200ms, max_interval: 2s }
  - name: count
    depends_on: items
    emit: { topic: ${FOR_EACH_TOPIC}, data: { run: "{{ run.id }}", outputs: "{{ length(steps.items.output) }}" } }
    timeout: 5s
`;
  await ctx.client.expect(`/api/workflows/${FOR_EACH_WORKFLOW}`, [200, 201], {
    method: "PUT",
    body: yaml,
    headers: { "content-type": "application/yaml" },
  });
  const started = performance.now();
  const items = Array.from({ length: n }, (_, i) => i);
  const res = await ctx.client.expect(`/api/workflows/${FOR_EACH_WORKFLOW}`, [200, 202], {
    body: { input: { items }, idempotencyKey: "rehearsal-for-each" },
  });
  const runId = (res.json as { id: string }).id;
  await awaitRuns(ctx, `the ${n}-item for_each`, [runId]);
  const ms = Math.round(performance.now() - started);
  const [done] = await ctx.db.query<{ outputs: unknown }>(
    `select data->'outputs' as outputs from events where topic = $1 and data->>'run' = $2`,
    [FOR_EACH_TOPIC, runId],
  );
  if (Number(done?.outputs) !== n)
    throw new RehearsalFailure(`the for_each run ${runId} collected ${String(done?.outputs)} outputs, expected ${n}`);
  const [items_] = await ctx.db.query<{ n: number }>(
    `select count(*)::int as n from steps where run_id = $1 and name = 'items' and item_index >= 0 and status = 'succeeded'`,
    [runId],
  );
  if (items_!.n !== n) throw new RehearsalFailure(`the for_each run ${runId}: ${items_!.n} of ${n} items succeeded`);
  return {
    name: `${n}-item for_each`,
    ms,
    runs: 1,
    details: { runId, items: n, received: ctx.receiver.byPrefix.get("fanout") ?? 0 },
  };
}
