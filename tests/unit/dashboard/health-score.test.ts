import { describe, expect, it } from "vitest";
import { agentScore, gradeOf, healthScore, scoredErrorRate } from "@/dashboard/health-score";

const healthy = { status: "healthy", circuit: "closed" } as const;
const degraded = { status: "degraded", circuit: "closed" } as const;
const down = { status: "down", circuit: "closed" } as const;

describe("healthScore", () => {
  it("is 100 for healthy agents, no errors and an empty queue", () => {
    expect(healthScore({ agents: [healthy, healthy], errorRate: 0, oldestReadyAgeMs: null })).toEqual({
      score: 100,
      grade: "good",
      parts: { agents: 1, errors: 1, queue: 1 },
    });
  });

  it("treats an idle platform (no data in the window) as healthy, not as unknown", () => {
    expect(healthScore({ agents: [], errorRate: null, oldestReadyAgeMs: null }).score).toBe(100);
  });

  it("weighs agents 50%, errors 30% and the queue 20%", () => {
    // One agent of two down: agents 0.5 → 75; a 10% error rate: errors 0.5 → 85; both: 60.
    expect(healthScore({ agents: [healthy, down], errorRate: 0, oldestReadyAgeMs: 0 }).score).toBe(75);
    expect(healthScore({ agents: [healthy], errorRate: 0.1, oldestReadyAgeMs: 0 }).score).toBe(85);
    expect(healthScore({ agents: [healthy, down], errorRate: 0.1, oldestReadyAgeMs: 0 }).score).toBe(60);
    // The oldest ready step at 5 minutes or more takes the whole queue part: 80.
    expect(healthScore({ agents: [healthy], errorRate: 0, oldestReadyAgeMs: 10 * 60_000 }).score).toBe(80);
  });

  it("scores the error rate linearly down to 0 at 20% and clamps beyond", () => {
    expect(healthScore({ errorRate: 0.05 }).parts.errors).toBeCloseTo(0.75);
    expect(healthScore({ errorRate: 0.2 }).parts.errors).toBe(0);
    expect(healthScore({ errorRate: 0.9 }).parts.errors).toBe(0);
  });

  it("gives the queue full marks up to 30 s, then falls linearly to 0 at 5 minutes", () => {
    expect(healthScore({ oldestReadyAgeMs: 30_000 }).parts.queue).toBe(1);
    expect(healthScore({ oldestReadyAgeMs: 165_000 }).parts.queue).toBeCloseTo(0.5);
    expect(healthScore({ oldestReadyAgeMs: 300_000 }).parts.queue).toBe(0);
  });

  it("leaves out a part whose data is unknown and rescales the others", () => {
    // Only agents known, one degraded of two: 0.75 → 75, whatever the missing parts would say.
    const onlyAgents = healthScore({ agents: [healthy, degraded] });
    expect(onlyAgents.score).toBe(75);
    expect(onlyAgents.parts).toEqual({ agents: 0.75, errors: null, queue: null });
  });

  it("is unknown (null), not 100, when nothing is known", () => {
    expect(healthScore({})).toEqual({
      score: null,
      grade: "unknown",
      parts: { agents: null, errors: null, queue: null },
    });
  });

  it("grades 90+ good, 70+ fair, below poor", () => {
    expect([gradeOf(90), gradeOf(89), gradeOf(70), gradeOf(69), gradeOf(null)]).toEqual([
      "good",
      "fair",
      "fair",
      "poor",
      "unknown",
    ]);
  });
});

describe("agentScore", () => {
  it("counts an open circuit as down and caps a half-open one at half, whatever the probe says", () => {
    expect(agentScore({ status: "healthy", circuit: "open" })).toBe(0);
    expect(agentScore({ status: "healthy", circuit: "half_open" })).toBe(0.5);
    expect(agentScore({ status: "down", circuit: "half_open" })).toBe(0);
    expect(agentScore(degraded)).toBe(0.5);
  });
});

describe("scoredErrorRate", () => {
  it("uses the steps' rate, falls back to the agent calls', and passes unknown through", () => {
    expect(scoredErrorRate({ steps: 0.02, agentCalls: 0.5 })).toBe(0.02);
    expect(scoredErrorRate({ steps: null, agentCalls: 0.5 })).toBe(0.5);
    expect(scoredErrorRate({ steps: null, agentCalls: null })).toBeNull();
    expect(scoredErrorRate(undefined)).toBeUndefined();
  });
});
