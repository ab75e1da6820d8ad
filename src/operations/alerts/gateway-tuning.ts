/**
 * What the two built-in alert conditions of the gateway's tuning measure (issue 17):
 * - `agent_throttled`: per throttled agent (src/agents/gateway/throttle.ts), its current
 *   concurrency limit as a share of its largest (1: not throttled); the built-in rule fires under 0.5;
 * - `adaptive_timeout_at_ceiling`: per adaptive action ("agent/action",
 *   src/agents/gateway/adaptive-timeout.ts) learned within the rule's window, its observed p99 ×
 *   margin as a share of its ceiling; at 1 or more the timeout is pinned at its ceiling (the action
 *   is slower than its declaration allows). Not judged while adaptive timeouts are turned off.
 */
import { sql } from "drizzle-orm";
import { adaptiveBounds, adaptiveTimeoutsEnabled } from "@/agents/gateway/adaptive-timeout";
import { throttlesView } from "@/agents/gateway/throttle";
import { findAction } from "@/agents/catalog";
import { queryRows, type Db } from "@/db/client";
import { toNumber } from "@/db/rows";
import type { Observation } from "./format";

export async function measureThrottled(db: Db, agent: string | undefined): Promise<Observation[]> {
  return (await throttlesView(db, 1))
    .filter((t) => t.configured && (!agent || t.agent === agent))
    .map((t) => ({
      subject: t.agent,
      value: t.concurrency / t.maxConcurrency,
      detail: `limit ${t.concurrency} of ${t.maxConcurrency}${t.changes[0] ? `; last change: ${t.changes[0].reason}` : ""}`,
    }));
}

export async function measureTimeoutsAtCeiling(
  db: Db,
  rule: { windowSeconds: number; filter: { agent?: string } },
): Promise<Observation[]> {
  if (!adaptiveTimeoutsEnabled()) return [];
  const rows = await queryRows<{ agent: string; action: string; p99_ms: unknown; samples: unknown }>(
    db,
    sql`select agent, action, p99_ms, samples from agent_action_timeouts
        where computed_at > now() - ${rule.windowSeconds} * interval '1 second'`,
  );
  const out: Observation[] = [];
  for (const r of rows) {
    if (rule.filter.agent && r.agent !== rule.filter.agent) continue;
    const spec = findAction(r.agent, r.action);
    const bounds = spec ? adaptiveBounds(spec) : null;
    if (!bounds) continue;
    const wanted = toNumber(r.p99_ms) * bounds.margin;
    out.push({
      subject: `${r.agent}/${r.action}`,
      value: Math.round((wanted / bounds.ceilingMs) * 1000) / 1000,
      detail: `p99 ${Math.round(toNumber(r.p99_ms))} ms over ${toNumber(r.samples)} calls, ceiling ${bounds.ceilingMs} ms`,
    });
  }
  return out;
}
