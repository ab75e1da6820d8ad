import { describe, expect, it } from "vitest";
import { MIN_WIDTH_PCT, layoutTimeline, timelineTicks } from "@/dashboard/timeline";

const T0 = Date.parse("2026-11-30T10:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();
const attempt = (n: number, outcome: string, from: number, to: number | null) => ({
  attempt: n,
  outcome,
  error: null,
  startedAt: at(from),
  finishedAt: to === null ? null : at(to),
  durationMs: to === null ? 0 : to - from,
});
const step = (
  name: string,
  status: string,
  history: ReturnType<typeof attempt>[],
  startedAt: number | null = history[0] ? Date.parse(history[0].startedAt!) - T0 : null,
  items?: Parameters<typeof layoutTimeline>[0],
) => ({
  name,
  status: status as never,
  startedAt: startedAt === null ? null : at(startedAt),
  finishedAt: null,
  history,
  items: items as never,
});

describe("layoutTimeline", () => {
  it("places each attempt from its start to its end, in percent of the run's span", () => {
    const layout = layoutTimeline(
      [
        step("a", "succeeded", [attempt(1, "succeeded", 0, 1000)]),
        step("b", "succeeded", [attempt(1, "succeeded", 1000, 4000)]),
      ],
      T0 + 60_000,
    );
    expect(layout.spanMs).toBe(4000);
    expect(layout.rows.map((r) => r.bars.map((b) => [b.leftPct, b.widthPct]))).toEqual([[[0, 25]], [[25, 75]]]);
  });

  it("draws every attempt of a retried step on its row, with its outcome", () => {
    const layout = layoutTimeline(
      [step("flaky", "succeeded", [attempt(1, "retrying", 0, 500), attempt(2, "succeeded", 1500, 2000)])],
      T0 + 10_000,
    );
    expect(layout.rows[0]!.bars.map((b) => [b.attempt, b.outcome, b.leftPct, b.widthPct])).toEqual([
      [1, "retrying", 0, 25],
      [2, "succeeded", 75, 25],
    ]);
  });

  it("draws a running step, which has no recorded attempt yet, from its start to now, as open", () => {
    const now = T0 + 3000;
    const layout = layoutTimeline(
      [step("a", "succeeded", [attempt(1, "succeeded", 0, 1000)]), step("b", "running", [], 1000)],
      now,
    );
    const bar = layout.rows[1]!.bars[0]!;
    expect(bar).toMatchObject({ attempt: null, outcome: "running", open: true, startMs: T0 + 1000, endMs: now });
    expect(layout.endMs).toBe(now);
    expect(bar.leftPct).toBeCloseTo(100 / 3, 9);
    expect(bar.widthPct).toBeCloseTo(200 / 3, 9);
  });

  it("grows the open bar as time passes", () => {
    const steps = [step("nap", "waiting", [], 0)];
    const first = layoutTimeline(steps, T0 + 1000).rows[0]!.bars[0]!;
    const later = layoutTimeline(steps, T0 + 5000).rows[0]!.bars[0]!;
    expect(later.endMs - later.startMs).toBeGreaterThan(first.endMs - first.startMs);
    expect(later.outcome).toBe("waiting");
  });

  it("starts the current try of a retrying step after its last recorded attempt", () => {
    const layout = layoutTimeline([step("x", "running", [attempt(1, "retrying", 0, 1000)], 0)], T0 + 2000);
    const [first, current] = layout.rows[0]!.bars;
    expect(first!.open).toBe(false);
    expect(current).toMatchObject({ attempt: null, open: true, startMs: T0 + 1000 });
  });

  it("keeps a very short attempt visible (minimum width) and inside the chart", () => {
    const layout = layoutTimeline(
      [
        step("slow", "succeeded", [attempt(1, "succeeded", 0, 100_000)]),
        step("blip", "succeeded", [attempt(1, "succeeded", 100_000, 100_001)]),
      ],
      T0 + 200_000,
    );
    const blip = layout.rows[1]!.bars[0]!;
    expect(blip.widthPct).toBe(MIN_WIDTH_PCT);
    expect(blip.leftPct + blip.widthPct).toBeLessThanOrEqual(100);
  });

  it("gives a step that has not started a row without bars, and for_each items a row each", () => {
    const items = [
      step("fan", "succeeded", [attempt(1, "succeeded", 0, 100)]),
      step("fan", "failed", [attempt(1, "failed", 50, 200)]),
    ];
    const layout = layoutTimeline(
      [step("fan", "failed", [], null, items), step("after", "pending", [], null)],
      T0 + 1000,
    );
    expect(layout.rows.map((r) => [r.label, r.bars.length])).toEqual([
      ["fan", 0],
      ["fan[0]", 1],
      ["fan[1]", 1],
      ["after", 0],
    ]);
  });

  it("draws an ended step without attempts (a sleep) from its start to its end, in its status", () => {
    const nap = { ...step("nap", "succeeded", [], 1000), finishedAt: at(3000) };
    const cancelled = { ...step("long_nap", "cancelled", [], 3000), finishedAt: at(4000) };
    const layout = layoutTimeline(
      [step("a", "succeeded", [attempt(1, "succeeded", 0, 1000)]), nap, cancelled],
      T0 + 60_000,
    );
    expect(layout.rows[1]!.bars).toEqual([
      {
        attempt: null,
        outcome: "succeeded",
        startMs: T0 + 1000,
        endMs: T0 + 3000,
        open: false,
        leftPct: 25,
        widthPct: 50,
      },
    ]);
    expect(layout.rows[2]!.bars[0]).toMatchObject({ outcome: "cancelled", open: false, leftPct: 75, widthPct: 25 });
    expect(layout.endMs).toBe(T0 + 4000);
  });

  it("handles a run with no attempts at all", () => {
    const layout = layoutTimeline([step("a", "pending", [], null)], T0);
    expect(layout.rows[0]!.bars).toEqual([]);
    expect(layout.spanMs).toBeGreaterThan(0);
  });
});

describe("timelineTicks", () => {
  it("spaces the axis labels evenly over the span", () => {
    expect(timelineTicks({ spanMs: 8000 }, 4)).toEqual([
      { pct: 0, offsetMs: 0 },
      { pct: 25, offsetMs: 2000 },
      { pct: 50, offsetMs: 4000 },
      { pct: 75, offsetMs: 6000 },
      { pct: 100, offsetMs: 8000 },
    ]);
  });
});
