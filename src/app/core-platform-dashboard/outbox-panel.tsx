"use client";
/** The notification outbox: the latest messages to Slack and email, and whether they went out. */
import { dateTime } from "@/dashboard/format";
import type { Resource } from "@/dashboard/hooks";
import type { OutboxMessage } from "@/dashboard/schemas";
import { LoadState, Panel } from "./panel";

export function OutboxPanel({ outbox }: { outbox: Resource<{ messages: OutboxMessage[] }> }) {
  const list = outbox.data?.messages ?? [];
  return (
    <Panel title="Outbox" resources={[outbox]} className="dash-outbox">
      <LoadState resource={outbox} what="the outbox" />
      {outbox.data && list.length === 0 ? <p className="dash-muted">No message has been sent yet.</p> : null}
      {list.length > 0 ? (
        <ul className="dash-rows">
          {list.map((m) => (
            <li key={m.id} className="dash-row">
              <div className="dash-row-head">
                <span className={`dash-badge dash-outbox-${m.status}`}>{m.status}</span>
                <span className="dash-badge dash-badge-plain">{m.channel}</span>
                <strong className="dash-break">{m.subject}</strong>
              </div>
              <p className="dash-muted dash-small">
                to {m.recipient} · {dateTime(m.createdAt)} · {m.attempts} attempt{m.attempts === 1 ? "" : "s"}
                {m.status === "pending" && m.nextAttemptAt ? ` · next ${dateTime(m.nextAttemptAt)}` : ""}
                {m.sentAt ? ` · sent ${dateTime(m.sentAt)}` : ""}
              </p>
              {m.lastError ? <p className="dash-bad dash-small dash-break">{m.lastError}</p> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </Panel>
  );
}
