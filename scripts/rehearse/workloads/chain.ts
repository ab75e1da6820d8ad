/**
 * The long chain: `chainSteps` steps in a line, every other one a short `sleep`, the rest
 * alternately an `emit` and an `http` call to the loopback receiver. With no resident worker, only
 * ticks (cron, kicks, self-continuations) move it, across server kills; it must end `succeeded`
 * after at least 20 ticks, with each emit published exactly once and each call made.
 */
import { RehearsalFailure } from "../util";
import { awaitRuns, type WorkloadContext, type WorkloadResult } from "./context";

export const CHAIN_WORKFLOW = "rehearsal_chain";
export const CHAIN_TOPIC = "rehearsal.chain";
/** Short timeouts: an attempt killed with its server costs its lease (timeout + grace), not 35 s. */
const RETRY = "retry: { max_attempts: 20, backoff: exponential, initial_interval: 200ms, max_interval: 2s }";

export function chainYaml(
  steps: number,
  sleepMs: number,
  receiverUrl: string,
): { yaml: string; emits: number; calls: number } {
  const lines = [
    `name: ${CHAIN_WORKFLOW}`,
    "description: The rehearsal's long chain of sleeps, emits and http calls.",
    "steps:",
  ];
  let emits = 0;
  let calls = 0;
  for (let i = 0; i < steps; i++) {
    lines.push(`  - name: s${i}`);
    if (i > 0) lines.push(`    depends_on: s${i - 1}`);
    if (i % 2 === 1) lines.push(`    sleep: ${sleepMs}ms`);
    else if (i % 4 === 0) {
      emits++;
      lines.push(
        `    emit: { topic: ${CHAIN_TOPIC}, data: { run: "{{ run.id }}", step: ${i} } }`,
        "    timeout: 5s",
        `    ${RETRY}`,
      );
    } else {
      calls++;
      lines.push(
        `    http: { url: "${receiverUrl}/chain/{{ run.id }}/${i}", method: POST, body: { step: ${i} } }`,
        "    timeout: 5s",
        `    ${RETRY}`,
      );
    }
  }
  return { yaml: lines.join("\n") + "\n", emits, calls };
}

export async function chain(ctx: WorkloadContext): Promise<WorkloadResult> {
  const { yaml, emits, calls } = chainYaml(ctx.options.chainSteps, ctx.options.chainSleepMs, ctx.receiver.url);
  await ctx.client.expect(`/api/workflows/${CHAIN_WORKFLOW}`, [200, 201], {
    method: "PUT",
    body: yaml,
    headers: { "content-type": "application/yaml" },
  });
  const started = performance.now();
  const res = await ctx.client.expect(`/api/workflows/${CHAIN_WORKFLOW}`, [200, 202], {
    body: { input: {}, idempotencyKey: "rehearsal-chain" },
  });
  const runId = (res.json as { id: string }).id;
  const [run] = await awaitRuns(ctx, "the chain", [runId]);
  const ms = Math.round(performance.now() - started);
  const [published] = await ctx.db.query<{ n: number }>(
    `select count(*)::int as n from events where topic = $1 and data->>'run' = $2`,
    [CHAIN_TOPIC, runId],
  );
  if (published!.n !== emits)
    throw new RehearsalFailure(
      `the chain: ${published!.n} ${CHAIN_TOPIC} events for run ${runId}, expected exactly ${emits}`,
    );
  const received = ctx.receiver.byPrefix.get("chain") ?? 0;
  if (received < calls)
    throw new RehearsalFailure(`the chain: the receiver got ${received} calls, expected at least ${calls}`);
  return {
    name: "300-step chain",
    ms,
    runs: 1,
    details: {
      runId,
      steps: ctx.options.chainSteps,
      emits,
      calls,
      received,
      from: run!.created_at,
      to: run!.finished_at,
    },
  };
}

/**
 * Ticks that ran while the chain did (tick.duration points whose interval meets the run's), read
 * at the end, once the servers have flushed their points; a killed tick records none, so this is
 * a lower bound.
 */
export async function ticksDuring(
  ctx: Pick<WorkloadContext, "db">,
  from: Date,
  to: Date,
): Promise<Record<string, number>> {
  const rows = await ctx.db.query<{ origin: string; n: number }>(
    `select coalesce(labels->>'origin', '?') as origin, count(*)::int as n from metric_points where name = 'tick.duration'
       and at >= $1 and at - value * interval '1 millisecond' <= $2 group by 1`,
    [from, to],
  );
  return Object.fromEntries(rows.map((r) => [r.origin, r.n]));
}
