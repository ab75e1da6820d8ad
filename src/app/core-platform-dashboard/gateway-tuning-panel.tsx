"use client";
/**
 * The gateway's tuning (issue 17): per adaptive action, the timeout new calls get
 * now with the static value beside it, its bounds and what it was learned from; per throttled
 * agent, its current concurrency limit (of its largest), the calls in flight and the latest
 * changes with their reasons. Flagged as the built-in alert rules flag them: a timeout pinned at
 * its ceiling, a limit under half of its largest.
 */
import { dateTime, duration } from "@/dashboard/format";
import { useGatewayTuning } from "@/dashboard/gateway-tuning";
import { LoadState, Panel } from "./panel";

/** The `agent_throttled` rule's default: a limit under this share of its largest is flagged. */
const THROTTLED_FLAG = 0.5;

export function GatewayTuningPanel() {
  const tuning = useGatewayTuning();
  const timeouts = tuning.data?.adaptiveTimeouts;
  const throttles = tuning.data?.throttles ?? [];
  return (
    <Panel title="Adaptive timeouts and throttling" resources={[tuning]} className="dash-gateway-tuning">
      <LoadState resource={tuning} what="the gateway's tuning" />
      {timeouts ? (
        <>
          <h3 className="dash-subhead">
            Adaptive timeouts{timeouts.enabled ? "" : " (turned off: AGENT_ADAPTIVE_TIMEOUTS=0, static values apply)"}
          </h3>
          {timeouts.actions.length === 0 ? (
            <p className="dash-muted">No action declares an adaptive timeout.</p>
          ) : (
            <div className="dash-table-wrap">
              <table className="dash-table">
                <caption>p99 of the last hour × margin, within floor and ceiling</caption>
                <thead>
                  <tr>
                    <th scope="col">Action</th>
                    <th scope="col">Now</th>
                    <th scope="col">Static</th>
                    <th scope="col">Floor · ceiling</th>
                    <th scope="col">Learned from</th>
                  </tr>
                </thead>
                <tbody>
                  {timeouts.actions.map((a) => (
                    <tr key={`${a.agent}/${a.action}`} data-timeout-action={`${a.agent}/${a.action}`}>
                      <td className="dash-break">
                        {a.agent}/{a.action}
                      </td>
                      <td className={a.atCeiling ? "dash-num dash-bad" : "dash-num"}>
                        {duration(a.effectiveMs)}
                        {a.atCeiling ? <span className="dash-small"> (at ceiling)</span> : null}
                      </td>
                      <td className="dash-num">{duration(a.staticMs)}</td>
                      <td className="dash-num">
                        {duration(a.floorMs)} · {duration(a.ceilingMs)}
                      </td>
                      <td className="dash-muted dash-small">
                        {a.learned
                          ? `p99 ${duration(a.learned.p99Ms)} × ${a.margin} over ${a.learned.samples} calls, ${dateTime(a.learned.computedAt)}`
                          : "not enough calls yet: static"}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : null}
      {tuning.data ? (
        <>
          <h3 className="dash-subhead">Concurrency limits</h3>
          {throttles.length === 0 ? (
            <p className="dash-muted">No agent is throttled (AGENT_CONCURRENCY names none).</p>
          ) : (
            <ul className="dash-rows">
              {throttles.map((t) => {
                const flagged = t.configured && t.concurrency < t.maxConcurrency * THROTTLED_FLAG;
                return (
                  <li key={t.agent} className="dash-row" data-throttle-agent={t.agent}>
                    <div className="dash-row-head">
                      <strong>{t.agent}</strong>
                      <span className={flagged ? "dash-badge dash-bad" : "dash-badge dash-badge-plain"}>
                        limit {t.concurrency} of {t.maxConcurrency}
                      </span>
                      <span className="dash-muted dash-small">{t.inFlight} in flight</span>
                      {t.configured ? null : (
                        <span className="dash-muted dash-small">(no longer in AGENT_CONCURRENCY: not enforced)</span>
                      )}
                    </div>
                    {t.changes.length === 0 ? (
                      <p className="dash-muted dash-small">No change yet.</p>
                    ) : (
                      <ul className="dash-small">
                        {t.changes.slice(0, 5).map((c) => (
                          <li key={`${c.at}-${c.from}-${c.to}`} className="dash-break">
                            {dateTime(c.at)}: {c.from} → {c.to} ({c.reason})
                          </li>
                        ))}
                      </ul>
                    )}
                  </li>
                );
              })}
            </ul>
          )}
        </>
      ) : null}
    </Panel>
  );
}
