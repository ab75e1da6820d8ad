/**
 * `GET /api/health/agents`: for each agent, its probe (probe.ts: the database and the providers
 * it is configured with), its circuit, and its recent record (calls of the last five minutes:
 * error rate, latency).
 *
 * Both transports run the same probe, `probeAgent`: in process for `inline`; for `http`, a
 * signed GET of `/api/agents/<agent>/health`, whose route runs `probeAgent` in the agent's own
 * function and answers the probe (200 when ok or degraded, 503 when down).
 *
 * Status: `down` when the probe is down (or cannot be reached) or the circuit is open;
 * `degraded` when the probe is degraded, the circuit is half-open, the recent error rate is over
 * 10 %, or the probe took over 2 s; else `healthy`. `probe.error` names the failed checks.
 */
import { z } from "zod";
import type { Db } from "@/db/client";
import type { CircuitState } from "@/db/schema";
import { getSecret } from "@/env";
import { SIGNATURE_HEADER, signRequest } from "@/auth/signature";
import { NotFoundError } from "@/errors";
import { SelfCallUnavailable, selfFetch } from "@/integrations/self-call";
import { readLimitedText } from "@/util/read-limited";
import { findAgent, listAgents } from "./catalog";
import { circuitOf } from "./gateway/breaker";
import { callStats } from "./gateway/calls";
import { databaseCheck } from "./probe-checks";
import { probeFailures, runProbe, type AgentProbe, type CheckReport, type ProbeStatus } from "./probe";
import { agentTransport } from "./transport";

const PROBE_TIMEOUT_MS = 5_000;
const RECENT_MS = 5 * 60_000;
const SLOW_PROBE_MS = 2_000;
const DEGRADED_ERROR_RATE = 0.1;
const MAX_PROBE_ANSWER_BYTES = 64 * 1024;

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
  /** `ok` only when every check passed; `error` names the failed checks (never a secret). */
  probe: { ok: boolean; status: ProbeStatus; error?: string; checks: CheckReport[] };
  lastCheckedAt: string;
}

/** The agent's probe, run here: the database check, then the agent's own (its `health` list). */
export async function probeAgent(db: Db, agent: string): Promise<AgentProbe> {
  const spec = findAgent(agent);
  if (!spec) throw new NotFoundError(`There is no agent "${agent}".`);
  return runProbe(agent, [databaseCheck, ...(spec.health ?? [])], db);
}

const checkReportSchema = z.object({
  name: z.string().max(100),
  status: z.enum(["ok", "degraded", "down", "skipped"]),
  latencyMs: z.number(),
  detail: z.string().max(1000).optional(),
});
const probeAnswerSchema = z.object({
  status: z.enum(["ok", "degraded", "down"]),
  checks: z.array(checkReportSchema).max(50),
});

type Probed = { status: ProbeStatus; checks: CheckReport[]; error?: string; latencyMs: number };

function summary(status: ProbeStatus, checks: CheckReport[], error?: string): Omit<Probed, "latencyMs"> {
  return { status, checks, error: error ?? probeFailures({ agent: "", status, checks, checkedAt: "" }) };
}

async function probe(db: Db, agent: string): Promise<Probed> {
  const started = performance.now();
  const done = (result: Omit<Probed, "latencyMs">): Probed => ({
    ...result,
    latencyMs: Math.round((performance.now() - started) * 10) / 10,
  });
  if (agentTransport() === "inline") {
    // In process the agent's route is this very code: the same probe, run here.
    const probed = await probeAgent(db, agent);
    return done(summary(probed.status, probed.checks));
  }
  try {
    // The signature names the method and path it is for (src/auth/signature.ts).
    const path = `/api/agents/${encodeURIComponent(agent)}/health`;
    const res = await selfFetch(path, {
      headers: { [SIGNATURE_HEADER]: signRequest(getSecret("INTER_AGENT_SECRET"), { method: "GET", path, body: "" }) },
      redirect: "manual",
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    const text = (await readLimitedText(res, MAX_PROBE_ANSWER_BYTES).catch(() => null)) ?? "";
    let answer: z.infer<typeof probeAnswerSchema> | undefined;
    try {
      answer = probeAnswerSchema.parse(JSON.parse(text));
    } catch {
      answer = undefined;
    }
    // The route answers its probe with 200 (ok, degraded) or 503 (down); anything else is the route failing.
    if (answer && (res.ok || res.status === 503)) return done(summary(answer.status, answer.checks));
    return done(summary("down", [], `answered ${res.status}`));
  } catch (error) {
    if (error instanceof SelfCallUnavailable) return done(summary("down", [], "PUBLIC_BASE_URL is not set"));
    const name = (error as { name?: unknown } | null)?.name;
    if (name === "TimeoutError" || name === "AbortError")
      return done(summary("down", [], `no answer within ${PROBE_TIMEOUT_MS / 1000} s`));
    return done(summary("down", [], "the agent's route could not be reached"));
  }
}

export async function agentsHealth(db: Db): Promise<AgentHealth[]> {
  return Promise.all(
    listAgents().map(async (agent): Promise<AgentHealth> => {
      const [probed, circuit, stats] = await Promise.all([
        probe(db, agent.name),
        circuitOf(db, agent.name),
        callStats(db, agent.name, RECENT_MS),
      ]);
      const errorRate = stats.calls === 0 ? 0 : Math.round((stats.failures / stats.calls) * 1000) / 1000;
      const status =
        probed.status === "down" || circuit.state === "open"
          ? "down"
          : probed.status === "degraded" ||
              circuit.state === "half_open" ||
              errorRate > DEGRADED_ERROR_RATE ||
              probed.latencyMs > SLOW_PROBE_MS
            ? "degraded"
            : "healthy";
      return {
        name: agent.name,
        status,
        circuit: circuit.state,
        latencyMs: probed.latencyMs,
        errorRate,
        recent: { calls: stats.calls, p95Ms: stats.p95Ms === null ? null : Math.round(stats.p95Ms) },
        probe: {
          ok: probed.status === "ok",
          status: probed.status,
          ...(probed.error ? { error: probed.error } : {}),
          checks: probed.checks,
        },
        lastCheckedAt: new Date().toISOString(),
      };
    }),
  );
}
