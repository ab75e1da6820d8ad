/**
 * `GET /api/health/agents`: for each agent, a real probe of its route (over the configured
 * transport: a signed GET of `/api/agents/<agent>/health`, or the same answer in process),
 * its circuit, and its recent record (calls of the last five minutes: error rate, latency).
 *
 * Status: `down` when the probe fails or the circuit is open; `degraded` when the circuit is
 * half-open, the recent error rate is over 10 %, or the probe took over 2 s; else `healthy`.
 */
import type { Db } from "@/db/client";
import type { CircuitState } from "@/db/schema";
import { getSecret } from "@/env";
import { SIGNATURE_HEADER, signBody } from "@/auth/signature";
import { SelfCallUnavailable, selfFetch } from "@/http/self-call";
import { listAgents } from "./catalog";
import { circuitOf } from "./gateway/breaker";
import { callStats } from "./gateway/calls";
import { agentTransport } from "./transport";

const PROBE_TIMEOUT_MS = 5_000;
const RECENT_MS = 5 * 60_000;
const SLOW_PROBE_MS = 2_000;
const DEGRADED_ERROR_RATE = 0.1;

export interface AgentHealth {
  name: string;
  status: "healthy" | "degraded" | "down";
  circuit: CircuitState;
  /** The probe's round trip. */
  latencyMs: number | null;
  /** Failed calls over all calls in the last five minutes (0 without calls). */
  errorRate: number;
  /** Recent calls: how many, and their 95th percentile latency. */
  recent: { calls: number; p95Ms: number | null };
  probe: { ok: boolean; error?: string };
  lastCheckedAt: string;
}

async function probe(agent: string): Promise<{ ok: boolean; error?: string; latencyMs: number }> {
  const started = performance.now();
  const done = (ok: boolean, error?: string) => ({ ok, error, latencyMs: Math.round((performance.now() - started) * 10) / 10 });
  if (agentTransport() === "inline") {
    // In process the route is this very code: the probe proves the agent loads and lists its actions.
    return done(listAgents().some((a) => a.name === agent && Object.keys(a.actions).length > 0), undefined);
  }
  try {
    const res = await selfFetch(`/api/agents/${encodeURIComponent(agent)}/health`, {
      headers: { [SIGNATURE_HEADER]: signBody(getSecret("INTER_AGENT_SECRET"), "") },
      redirect: "manual",
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    await res.body?.cancel();
    return res.ok ? done(true) : done(false, `answered ${res.status}`);
  } catch (error) {
    if (error instanceof SelfCallUnavailable) return done(false, "PUBLIC_BASE_URL is not set");
    return done(false, error instanceof Error ? error.message : String(error));
  }
}

export async function agentsHealth(db: Db): Promise<AgentHealth[]> {
  return Promise.all(
    listAgents().map(async (agent): Promise<AgentHealth> => {
      const [probed, circuit, stats] = await Promise.all([probe(agent.name), circuitOf(db, agent.name), callStats(db, agent.name, RECENT_MS)]);
      const errorRate = stats.calls === 0 ? 0 : Math.round((stats.failures / stats.calls) * 1000) / 1000;
      const status =
        !probed.ok || circuit.state === "open"
          ? "down"
          : circuit.state === "half_open" || errorRate > DEGRADED_ERROR_RATE || probed.latencyMs > SLOW_PROBE_MS
            ? "degraded"
            : "healthy";
      return {
        name: agent.name,
        status,
        circuit: circuit.state,
        latencyMs: probed.latencyMs,
        errorRate,
        recent: { calls: stats.calls, p95Ms: stats.p95Ms === null ? null : Math.round(stats.p95Ms) },
        probe: probed.error ? { ok: probed.ok, error: probed.error } : { ok: probed.ok },
        lastCheckedAt: new Date().toISOString(),
      };
    }),
  );
}
