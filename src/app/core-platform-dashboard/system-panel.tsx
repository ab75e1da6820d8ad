"use client";
/** Queue depth and the platform's vital signs, from GET /api/system/monitoring. */
import { bytes, duration, percent } from "@/dashboard/format";
import type { Resource } from "@/dashboard/hooks";
import { RUN_STATUSES, type Monitoring } from "@/dashboard/schemas";
import { LoadState, Panel } from "./panel";

export function SystemPanel({ monitoring }: { monitoring: Resource<Monitoring> }) {
  const m = monitoring.data;
  return (
    <Panel title="Queue and throughput" resources={[monitoring]} className="dash-system">
      <LoadState resource={monitoring} what="the platform's figures" />
      {m ? (
        <>
          <dl className="dash-stats">
            <div className="dash-stat-main">
              <dt>Ready steps</dt>
              <dd data-testid="queue-ready">{m.queue.ready}</dd>
            </div>
            <div>
              <dt>Oldest ready</dt>
              <dd
                className={
                  m.queue.oldestReadyAgeMs !== null && m.queue.oldestReadyAgeMs > 300_000 ? "dash-bad" : undefined
                }
              >
                {m.queue.oldestReadyAgeMs === null ? "—" : duration(m.queue.oldestReadyAgeMs)}
              </dd>
            </div>
            <div>
              <dt>Waiting steps</dt>
              <dd>{m.queue.waitingSteps}</dd>
            </div>
            <div>
              <dt>Steps / s</dt>
              <dd>{m.throughput.stepsPerSecond}</dd>
            </div>
            <div>
              <dt>Requests / s</dt>
              <dd>{m.throughput.requestsPerSecond}</dd>
            </div>
            <div>
              <dt>Step errors</dt>
              <dd>{percent(m.errorRate.steps)}</dd>
            </div>
            <div>
              <dt>Agent call errors</dt>
              <dd>{percent(m.errorRate.agentCalls)}</dd>
            </div>
            <div>
              <dt>Request errors</dt>
              <dd>{percent(m.errorRate.requests)}</dd>
            </div>
          </dl>
          <h3 className="dash-subhead">Runs by status</h3>
          <ul className="dash-run-counts">
            {RUN_STATUSES.map((s) => (
              <li key={s} className={`dash-status-${s}`}>
                <span className="dash-num">{m.runs[s]}</span> {s}
              </li>
            ))}
          </ul>
          <p className="dash-footnote">
            Rates over the last {Math.round(m.throughput.windowSeconds / 60)} complete minutes · database{" "}
            {duration(m.database.latencyMs)} · memory {bytes(m.process.rssBytes)} · up{" "}
            {duration(m.process.uptimeSeconds * 1000)}
          </p>
        </>
      ) : null}
    </Panel>
  );
}
