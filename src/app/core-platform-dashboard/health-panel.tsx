"use client";
/** The global health score (src/dashboard/health-score.ts) and each agent's health and circuit. */
import { duration, percent } from "@/dashboard/format";
import { HEALTH_WEIGHTS, healthScore, scoredErrorRate, type HealthPart } from "@/dashboard/health-score";
import type { Resource } from "@/dashboard/hooks";
import type { AgentHealth, Monitoring } from "@/dashboard/schemas";
import { LoadState, Panel } from "./panel";

const PART_LABELS: Record<HealthPart, string> = { agents: "Agents", errors: "Error rate", queue: "Queue" };
const CIRCUIT_LABELS = { closed: "circuit closed", open: "circuit open", half_open: "circuit half-open" } as const;

export function HealthPanel({
  agents,
  monitoring,
}: {
  agents: Resource<{ agents: AgentHealth[] }>;
  monitoring: Resource<Monitoring>;
}) {
  // Stale data still counts (it is the best we know, and the panel says it is stale); a part
  // whose API never answered is left out of the score.
  const health = healthScore({
    agents: agents.data?.agents,
    errorRate: scoredErrorRate(monitoring.data?.errorRate),
    oldestReadyAgeMs: monitoring.data === undefined ? undefined : monitoring.data.queue.oldestReadyAgeMs,
  });
  return (
    <Panel title="Health" resources={[agents, monitoring]} className="dash-health">
      <div className="dash-score-row">
        <div
          className={`dash-score dash-grade-${health.grade}`}
          role="img"
          aria-label={
            health.score === null ? "Health score unknown" : `Health score ${health.score} out of 100 (${health.grade})`
          }
        >
          <span className="dash-score-value">{health.score ?? "—"}</span>
          <span className="dash-score-max">/100</span>
        </div>
        <ul className="dash-parts" aria-label="Health score parts">
          {(Object.keys(HEALTH_WEIGHTS) as HealthPart[]).map((part) => (
            <li key={part}>
              <span>{PART_LABELS[part]}</span>
              <meter
                min={0}
                max={1}
                low={0.7}
                high={0.9}
                optimum={1}
                value={health.parts[part] ?? 0}
                aria-label={`${PART_LABELS[part]} score`}
              />
              <span className="dash-num">
                {health.parts[part] === null ? "—" : `${Math.round(health.parts[part]! * 100)}`}
              </span>
            </li>
          ))}
        </ul>
      </div>
      <details className="dash-explain">
        <summary>How the score is computed</summary>
        <p>
          A weighted mean: agents 50% (healthy 1, degraded ½, down 0; an open circuit counts 0), error rate 30% (full at
          0%, none at 20% of steps failing over the last five minutes), queue 20% (full while the oldest ready step is
          under 30 s old, none at 5 minutes). A part whose data is missing is left out.
        </p>
      </details>
      <h3 className="dash-subhead">Agents</h3>
      <LoadState resource={agents} what="the agents' health" />
      {agents.data ? (
        agents.data.agents.length === 0 ? (
          <p className="dash-muted">No agents are registered.</p>
        ) : (
          <ul className="dash-agents">
            {agents.data.agents.map((a) => (
              <li key={a.name} className={`dash-agent dash-agent-${a.status}`} data-agent={a.name}>
                <div className="dash-agent-head">
                  <strong>{a.name}</strong>
                  <span className={`dash-badge dash-badge-${a.status}`}>{a.status}</span>
                  <span className={`dash-badge dash-circuit-${a.circuit}`}>{CIRCUIT_LABELS[a.circuit]}</span>
                </div>
                <dl className="dash-facts">
                  <div>
                    <dt>Probe</dt>
                    <dd>
                      {a.probe.ok ? (
                        duration(a.latencyMs)
                      ) : (
                        <span className="dash-bad">{a.probe.error ?? "failed"}</span>
                      )}
                    </dd>
                  </div>
                  <div>
                    <dt>Errors (5 min)</dt>
                    <dd>{percent(a.errorRate)}</dd>
                  </div>
                  <div>
                    <dt>Calls · p95</dt>
                    <dd>
                      {a.recent.calls} · {duration(a.recent.p95Ms)}
                    </dd>
                  </div>
                </dl>
              </li>
            ))}
          </ul>
        )
      ) : null}
    </Panel>
  );
}
