"use client";
/**
 * A small line chart in plain SVG (geometry in src/dashboard/chart.ts). The plot is stretched to
 * the panel's width (`preserveAspectRatio="none"`, strokes kept at 2 px by
 * `vector-effect: non-scaling-stroke`); the labels are HTML beside it, so text stays readable
 * at any width, phones included. A visually hidden table gives the latest values to screen readers.
 */
import { linePath, yMaxOf, yTicks, type ChartBox } from "@/dashboard/chart";

export interface ChartSeries {
  label: string;
  /** A CSS class that sets the line's colour (and the legend's swatch). */
  className: string;
  values: (number | null)[];
}

/** Small side margins, so a point at either end is not cut in half. */
const BOX: ChartBox = { width: 600, height: 160, padLeft: 5, padRight: 5, padTop: 6, padBottom: 2 };

export function LineChart({
  title,
  series,
  xLabels,
  format,
}: {
  title: string;
  series: ChartSeries[];
  xLabels: string[];
  format(value: number): string;
}) {
  const yMax = yMaxOf(series.map((s) => s.values));
  const latest = (values: (number | null)[]) => [...values].reverse().find((v) => v !== null) ?? null;
  return (
    <figure className="dash-chart">
      <figcaption className="dash-chart-title">{title}</figcaption>
      <div className="dash-chart-body">
        <div className="dash-chart-y" aria-hidden="true">
          {yTicks(yMax, BOX)
            .reverse()
            .map((t) => (
              <span key={t.value}>{format(t.value)}</span>
            ))}
        </div>
        <svg
          className="dash-chart-svg"
          viewBox={`0 0 ${BOX.width} ${BOX.height}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={`${title}: ${series.map((s) => `${s.label} ${latest(s.values) === null ? "no data" : format(latest(s.values)!)}`).join(", ")}`}
        >
          {yTicks(yMax, BOX).map((t) => (
            <line key={t.value} x1={0} x2={BOX.width} y1={t.y} y2={t.y} className="dash-chart-grid" />
          ))}
          {series.map((s) => (
            <path key={s.label} d={linePath(s.values, yMax, BOX)} className={`dash-chart-line ${s.className}`} />
          ))}
        </svg>
      </div>
      <div className="dash-chart-x" aria-hidden="true">
        {xLabels.map((l, i) => (
          <span key={i}>{l}</span>
        ))}
      </div>
      <ul className="dash-legend">
        {series.map((s) => (
          <li key={s.label} className={`dash-key ${s.className}`}>
            {s.label}: {latest(s.values) === null ? "—" : format(latest(s.values)!)}
          </li>
        ))}
      </ul>
    </figure>
  );
}
