/** The pure parts of the gateway's tuning (issue 17): configuration, bounds, and when an agent is under stress. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent } from "@/agents/framework";
import { adaptiveBounds, boundedTimeout } from "@/agents/gateway/adaptive-timeout";
import { parseConcurrency, stressOf } from "@/agents/gateway/throttle";

const action = (extra: object) => ({
  description: "x",
  input: z.unknown(),
  output: z.unknown(),
  handler: async () => ({}),
  ...extra,
});

describe("adaptive timeout bounds", () => {
  it("defaults the ceiling and the margin, and keeps p99 × margin between floor and ceiling", () => {
    const bounds = adaptiveBounds({ timeoutMs: 5_000, adaptiveTimeout: { floorMs: 500 } })!;
    expect(bounds).toEqual({ staticMs: 5_000, floorMs: 500, ceilingMs: 5_000, margin: 1.5 });
    expect(boundedTimeout(10, bounds)).toBe(500);
    expect(boundedTimeout(1_000, bounds)).toBe(1_500);
    expect(boundedTimeout(9_000, bounds)).toBe(5_000);
    expect(adaptiveBounds({ timeoutMs: 5_000 })).toBeNull();
  });

  it("refuses a declaration whose bounds are out of order or above the static timeout", () => {
    const agent = (adaptiveTimeout: object) =>
      defineAgent({ name: "bounds", description: "x", actions: { go: action({ timeoutMs: 5_000, adaptiveTimeout }) } });
    expect(() => agent({ floorMs: 100, ceilingMs: 4_000 })).not.toThrow();
    expect(() => agent({ floorMs: 100, ceilingMs: 6_000 })).toThrow(/ceilingMs <= timeoutMs/);
    expect(() => agent({ floorMs: 4_500, ceilingMs: 4_000 })).toThrow(/floorMs <= ceilingMs/);
    expect(() => agent({ floorMs: 0 })).toThrow(/1 <= floorMs/);
    expect(() => agent({ floorMs: 100, margin: 0.5 })).toThrow(/margin/);
  });
});

describe("throttle configuration and stress", () => {
  it("parses AGENT_CONCURRENCY and refuses malformed entries", () => {
    expect(parseConcurrency("design-ia=8, ads=4")).toEqual(
      new Map([
        ["design-ia", 8],
        ["ads", 4],
      ]),
    );
    expect(parseConcurrency(undefined).size).toBe(0);
    for (const bad of ["ads", "ads=0", "ads=2.5", "ads=1001", "Ads=3"]) expect(() => parseConcurrency(bad)).toThrow();
  });

  const normal = { recentCalls: 10, recentFailures: 0, recentP50: 12, baselineCalls: 100, baselineP50: 10 };
  it("sees stress in a median latency above twice the band (plus slack) or an error rate above the limit", () => {
    expect(stressOf(normal, 0.25)).toBeNull();
    expect(stressOf({ ...normal, recentP50: 44 }, 0.25)).toBeNull(); // 2 × 10 + 25 = 45
    expect(stressOf({ ...normal, recentP50: 46 }, 0.25)).toMatch(/^median latency 46 ms/);
    expect(stressOf({ ...normal, recentFailures: 3 }, 0.25)).toMatch(/^error rate 30%/);
    // Too few calls to judge, or no band yet: not stress.
    expect(stressOf({ ...normal, recentCalls: 4, recentFailures: 4 }, 0.25)).toBeNull();
    expect(stressOf({ ...normal, recentP50: 500, baselineCalls: 19 }, 0.25)).toBeNull();
  });
});
