"use client";
/**
 * Latency percentiles (p50/p95/p99) and throughput of agent calls, for one agent or all of them,
 * over 1, 6 or 24 hours (`agent.call.duration` from GET /api/metrics).
 */
import { useId, useState } from "react";
import { clockTime, compact, duration, percent } from "@/dashboard/format";
import { METRIC_RANGES, useAgentMetrics, type MetricRange } from "@/dashboard/hooks";
import { LineChart } from "./line-chart";
import { LoadState, Panel } from "./panel";

const BUCKET_MINUTES = { "1m": 1, "5m": 5, "1h": 60 } as const;

/** Axis and legend text for a latency: "0.5 ms" and "12 ms" below a second, "1.20 s" above. */
const latencyLabel = (ms: number) => (ms >= 1000 ? duration(ms) : `${compact(ms)} ms`);

export function ChartsPanel({ agents }: { agents: string[] }) {
  const id = useId();
  const [agent, setAgent] = useState<string | null>(null);
  const [range, setRange] = useState<MetricRange>("1h");
  const metrics = useAgentMetrics(agent, range);
  const series = metrics.data?.series ?? [];
  const minutes = BUCKET_MINUTES[METRIC_RANGES[range].bucket];
  const xLabels = series.length
    ? [series[0]!, series[Math.floor(series.length / 2)]!, series.at(-1)!].map((p) => clockTime(p.bucket).slice(0, 5))
    : [];
  const calls = series.reduce((n, p) => n + p.count, 0);
  const errors = series.reduce((n, p) => n + (p.errorRate ?? 0) * p.count, 0);
  return (
    <Panel title="Agent latency and throughput" resources={[metrics]} className="dash-charts">
      <div className="dash-filters">
        <div className="dash-control">
          <label htmlFor={`${id}-agent`}>Agent</label>
          <select id={`${id}-agent`} value={agent ?? ""} onChange={(e) => setAgent(e.target.value || null)}>
            <option value="">All agents</option>
            {agents.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <fieldset className="dash-control dash-segmented">
          <legend>Range</legend>
          <div className="dash-seg-group">
            {(Object.keys(METRIC_RANGES) as MetricRange[]).map((r) => (
              <label key={r} className={r === range ? "dash-seg dash-seg-on" : "dash-seg"}>
                <input type="radio" name={`${id}-range`} value={r} checked={r === range} onChange={() => setRange(r)} />
                {METRIC_RANGES[r].label}
              </label>
            ))}
          </div>
        </fieldset>
      </div>
      <LoadState resource={metrics} what="the metrics" />
      {metrics.data ? (
        <>
          <p className="dash-muted dash-small">
            {calls} call{calls === 1 ? "" : "s"} in the last {METRIC_RANGES[range].label}
            {calls > 0 ? ` · ${percent(errors / calls)} failed` : ""} · one point per{" "}
            {minutes === 60 ? "hour" : `${minutes} min`}
          </p>
          <div className="dash-chart-grid-2">
            <LineChart
              title="Latency (ms)"
              xLabels={xLabels}
              format={latencyLabel}
              series={[
                { label: "p50", className: "dash-line-p50", values: series.map((p) => p.p50) },
                { label: "p95", className: "dash-line-p95", values: series.map((p) => p.p95) },
                { label: "p99", className: "dash-line-p99", values: series.map((p) => p.p99) },
              ]}
            />
            <LineChart
              title="Throughput (calls per minute)"
              xLabels={xLabels}
              format={(v) => compact(v)}
              series={[
                { label: "calls/min", className: "dash-line-calls", values: series.map((p) => p.count / minutes) },
                {
                  label: "failed/min",
                  className: "dash-line-errors",
                  values: series.map((p) => ((p.errorRate ?? 0) * p.count) / minutes),
                },
              ]}
            />
          </div>
        </>
      ) : null}
    </Panel>
  );
}
