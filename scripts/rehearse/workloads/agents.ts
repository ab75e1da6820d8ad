/**
 * Sustained agent invocations: `agentRuns` runs of a one-step workflow whose step calls an agent
 * (`core.health`: a signed POST to the agent's own route through the deployment URL, one
 * database round trip), started in bulk 1,000 at a time. The rate, extrapolated to an hour, is
 * the figure of issue 14 point 7 (target: 1,000,000 per hour).
 */
import { awaitRuns, type WorkloadContext, type WorkloadResult } from "./context";

export const AGENTS_WORKFLOW = "rehearsal_agents";
const BULK = 1_000;

export async function agentInvocations(ctx: WorkloadContext): Promise<WorkloadResult> {
  const n = ctx.options.agentRuns;
  const yaml = `name: ${AGENTS_WORKFLOW}
description: One agent call per run, for the rehearsal's throughput figure.
steps:
  - name: call
    agent: core
    action: health
    input: {}
`;
  await ctx.client.expect(`/api/workflows/${AGENTS_WORKFLOW}`, [200, 201], {
    method: "PUT",
    body: yaml,
    headers: { "content-type": "application/yaml" },
  });
  const started = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < n; i += BULK) {
    const runs = Array.from({ length: Math.min(BULK, n - i) }, (_, j) => ({
      input: {},
      idempotencyKey: `rehearsal-agents-${i + j}`,
    }));
    const res = await ctx.client.expect(`/api/workflows/${AGENTS_WORKFLOW}/runs`, [200, 202], {
      body: { runs },
      timeoutMs: 60_000,
    });
    ids.push(...(res.json as { runs: { id: string }[] }).runs.map((r) => r.id));
  }
  await awaitRuns(ctx, "agent invocations", ids);
  const ms = Math.round(performance.now() - started);
  return {
    name: "agent invocations",
    ms,
    runs: n,
    details: { invocations: n, perHour: Math.round((n / ms) * 3_600_000) },
  };
}
