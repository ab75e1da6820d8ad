"use client";
/** Active alerts, most recent first, with Acknowledge for operators. */
import { dateTime } from "@/dashboard/format";
import type { Resource } from "@/dashboard/hooks";
import { alertActionSchema, type Alert } from "@/dashboard/schemas";
import { useAction } from "@/dashboard/use-action";
import { ActionButton } from "./action-button";
import { ActionMessage } from "./action-message";
import { LoadState, Panel } from "./panel";

export function AlertsPanel({ alerts, canAct }: { alerts: Resource<{ alerts: Alert[] }>; canAct: boolean }) {
  const action = useAction();
  const list = alerts.data?.alerts ?? [];
  const acknowledge = (alert: Alert) =>
    action.run(
      alert.id,
      `/api/alerts/${encodeURIComponent(alert.id)}/ack`,
      alertActionSchema,
      `Acknowledged “${alert.ruleName}”.`,
      alerts.refresh,
    );
  return (
    <Panel
      title={alerts.data ? `Active alerts (${list.length})` : "Active alerts"}
      resources={[alerts]}
      className="dash-alerts"
    >
      <ActionMessage message={action.message} />
      <LoadState resource={alerts} what="the alerts" />
      {alerts.data && list.length === 0 ? <p className="dash-ok-note">No active alerts.</p> : null}
      {list.length > 0 ? (
        <ul className="dash-alert-list">
          {list.map((a) => (
            <li key={a.id} className={`dash-alert dash-sev-${a.severity}`} data-alert-id={a.id} data-rule={a.ruleName}>
              <div className="dash-alert-head">
                <span className={`dash-badge dash-sev-badge-${a.severity}`}>{a.severity}</span>
                <strong>{a.ruleName}</strong>
                {a.subject ? <span className="dash-muted">· {a.subject}</span> : null}
              </div>
              <p className="dash-alert-msg">{a.message}</p>
              <p className="dash-muted dash-small">
                Fired {dateTime(a.firedAt)}
                {a.escalatedAt ? ` · escalated ${dateTime(a.escalatedAt)}` : ""} · last seen {dateTime(a.lastSeenAt)}
              </p>
              {canAct ? (
                <ActionButton
                  pending={action.pending}
                  actionKey={a.id}
                  busy="Acknowledging…"
                  onClick={() => acknowledge(a)}
                  label={`Acknowledge alert ${a.ruleName}${a.subject ? ` (${a.subject})` : ""}`}
                >
                  Acknowledge
                </ActionButton>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </Panel>
  );
}
