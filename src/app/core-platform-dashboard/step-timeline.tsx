"use client";
/** A run's steps as a Gantt chart: the layout comes from src/dashboard/timeline.ts. */
import { duration } from "@/dashboard/format";
import type { Step } from "@/dashboard/schemas";
import { layoutTimeline, timelineTicks } from "@/dashboard/timeline";

export function StepTimeline({ steps, now }: { steps: Step[]; now: number }) {
  const layout = layoutTimeline(steps, now);
  if (layout.rows.every((r) => r.bars.length === 0)) return <p className="dash-muted">No step has started yet.</p>;
  return (
    <figure className="dash-gantt" aria-label={`Step timeline over ${duration(layout.spanMs)}`}>
      <ol className="dash-gantt-rows">
        {layout.rows.map((row) => (
          <li key={row.label} className="dash-gantt-row">
            <span className="dash-gantt-label" title={`${row.label}: ${row.status}`}>
              {row.label}
            </span>
            <span className="dash-gantt-track">
              {row.bars.map((bar, i) => (
                <span
                  key={i}
                  className={`dash-gantt-bar dash-bar-${bar.outcome} ${bar.open ? "dash-bar-open" : ""}`}
                  style={{ left: `${bar.leftPct}%`, width: `${bar.widthPct}%` }}
                  title={`${row.label} · ${bar.attempt === null ? "current try" : `attempt ${bar.attempt}`} · ${bar.outcome} · ${duration(bar.endMs - bar.startMs)}${bar.open ? " so far" : ""}`}
                />
              ))}
            </span>
          </li>
        ))}
      </ol>
      {/* The axis is a row like the others, so its ticks line up with the tracks exactly. */}
      <div className="dash-gantt-row" aria-hidden="true">
        <span />
        <span className="dash-gantt-axis">
          {timelineTicks(layout).map((t) => (
            <span key={t.pct} style={{ left: `${t.pct}%` }}>
              +{duration(t.offsetMs)}
            </span>
          ))}
        </span>
      </div>
      <figcaption className="dash-legend">
        <span className="dash-key dash-bar-succeeded">succeeded</span>
        <span className="dash-key dash-bar-failed">failed</span>
        <span className="dash-key dash-bar-running">running</span>
        <span className="dash-key dash-bar-waiting">waiting</span>
        <span className="dash-key dash-bar-cancelled">cancelled</span>
      </figcaption>
    </figure>
  );
}
