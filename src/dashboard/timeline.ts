/**
 * The layout of a run's step timeline (a Gantt chart): one row per step (and per for_each item),
 * one bar per attempt from its startedAt to its finishedAt, positioned in percent of the span
 * from the run's first start to its last end. Pure, so it is tested on its own; the component
 * only draws what this returns.
 *
 * Decisions:
 * - Attempts are recorded when they end, so a step that is running (or sleeping/waiting) now has
 *   no attempt for its current try: it gets an open bar from the step's startedAt to `now`.
 *   A recorded attempt without finishedAt is drawn to `now` too.
 * - Steps that do no work of their own (sleep, wait_for_event) record no attempt at all: an
 *   ended one gets one bar from the step's startedAt to its finishedAt, in the step's status.
 * - A bar is never thinner than MIN_WIDTH_PCT, so a 2 ms step is still visible and clickable.
 * - A step that has not started has a row and no bar (the reader still sees it is ahead).
 */
import type { Step } from "./schemas";

export const MIN_WIDTH_PCT = 0.6;

export interface TimelineBar {
  /** The attempt number; null for the open, not-yet-recorded current try. */
  attempt: number | null;
  outcome: string;
  startMs: number;
  endMs: number;
  /** Drawn to now: still running or waiting. */
  open: boolean;
  leftPct: number;
  widthPct: number;
}

export interface TimelineRow {
  /** `step` or `step[3]` for a for_each item. */
  label: string;
  step: string;
  status: string;
  bars: TimelineBar[];
}

export interface TimelineLayout {
  startMs: number;
  endMs: number;
  spanMs: number;
  rows: TimelineRow[];
}

type StepLike = Pick<Step, "name" | "status" | "startedAt" | "finishedAt" | "history"> & {
  items?: Omit<StepLike, "items">[];
};

const OPEN_STATUSES = new Set(["running", "waiting"]);
const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

interface RawBar {
  attempt: number | null;
  outcome: string;
  startMs: number;
  endMs: number;
  open: boolean;
}

function barsOf(step: Omit<StepLike, "items">, now: number): RawBar[] {
  const bars: RawBar[] = [];
  for (const a of step.history) {
    const start = ms(a.startedAt);
    if (start === null) continue;
    const end = ms(a.finishedAt);
    bars.push({
      attempt: a.attempt,
      outcome: a.outcome,
      startMs: start,
      endMs: end ?? Math.max(start, now),
      open: end === null,
    });
  }
  const started = ms(step.startedAt);
  const finished = ms(step.finishedAt);
  if (bars.length === 0 && started !== null && finished !== null && !OPEN_STATUSES.has(step.status)) {
    return [{ attempt: null, outcome: step.status, startMs: started, endMs: Math.max(started, finished), open: false }];
  }
  if (OPEN_STATUSES.has(step.status) && started !== null) {
    // The current try began after the last recorded attempt ended (or at the step's start).
    const lastEnd = bars.reduce((m, b) => Math.max(m, b.endMs), Number.NEGATIVE_INFINITY);
    const start = Math.max(started, Number.isFinite(lastEnd) ? lastEnd : started);
    if (!bars.some((b) => b.open))
      bars.push({ attempt: null, outcome: step.status, startMs: start, endMs: Math.max(start, now), open: true });
  }
  return bars;
}

export function layoutTimeline(steps: readonly StepLike[], now: number): TimelineLayout {
  const raw: { label: string; step: string; status: string; bars: RawBar[] }[] = [];
  for (const step of steps) {
    raw.push({ label: step.name, step: step.name, status: step.status, bars: barsOf(step, now) });
    step.items?.forEach((item, i) =>
      raw.push({ label: `${step.name}[${i}]`, step: step.name, status: item.status, bars: barsOf(item, now) }),
    );
  }
  const all = raw.flatMap((r) => r.bars);
  const startMs = all.length ? Math.min(...all.map((b) => b.startMs)) : now;
  const endMs = all.length ? Math.max(...all.map((b) => b.endMs)) : now;
  // A zero span (one instantaneous attempt) still draws: every bar then starts at 0%.
  const spanMs = Math.max(1, endMs - startMs);
  const rows = raw.map((r) => ({
    label: r.label,
    step: r.step,
    status: r.status,
    bars: r.bars.map((b) => {
      const leftPct = ((b.startMs - startMs) / spanMs) * 100;
      const widthPct = Math.max(MIN_WIDTH_PCT, ((b.endMs - b.startMs) / spanMs) * 100);
      // Keep a minimum-width bar inside the chart.
      return { ...b, leftPct: Math.min(leftPct, 100 - widthPct), widthPct: Math.min(widthPct, 100) };
    }),
  }));
  return { startMs, endMs, spanMs, rows };
}

/** Tick marks for the time axis: `count + 1` evenly spaced offsets from the start. */
export function timelineTicks(layout: Pick<TimelineLayout, "spanMs">, count = 4): { pct: number; offsetMs: number }[] {
  return Array.from({ length: count + 1 }, (_, i) => ({
    pct: (i / count) * 100,
    offsetMs: (layout.spanMs * i) / count,
  }));
}
