"use client";
/** Events published on the platform (topic, source, data). */
import { dateTime, prettyJson } from "@/dashboard/format";
import type { Resource } from "@/dashboard/hooks";
import type { DashboardEvent } from "@/dashboard/schemas";
import { LoadState, Panel } from "./panel";

export function EventsPanel({ events }: { events: Resource<{ events: DashboardEvent[] }> }) {
  // Newest first, whatever order the page of the API came in.
  const list = [...(events.data?.events ?? [])].sort((a, b) => b.id - a.id);
  return (
    <Panel title="Events" resources={[events]} className="dash-events">
      <LoadState resource={events} what="the events" />
      {events.data && list.length === 0 ? <p className="dash-muted">No event has been published yet.</p> : null}
      {list.length > 0 ? (
        <ul className="dash-rows">
          {list.map((e) => (
            <li key={e.id} className="dash-row">
              <details>
                <summary>
                  <code>{e.topic}</code>{" "}
                  <span className="dash-muted dash-small">
                    #{e.id} · {dateTime(e.createdAt)} · {e.source}
                  </span>
                </summary>
                <pre className="dash-pre">{prettyJson(e.data, 4_000)}</pre>
              </details>
            </li>
          ))}
        </ul>
      ) : null}
    </Panel>
  );
}
