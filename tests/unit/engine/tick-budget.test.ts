import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import "@/agents/catalog";
import { DefinitionError, parseDefinition } from "@/engine/definition";
import { assertFitsServerlessTick } from "@/engine/registry";
import { TICK_ROUTE_FILE, maxServerlessStepTimeoutMs, tickBudgetMs, tickRouteMaxDurationS } from "@/engine/tick-budget";

const env = (values: Record<string, string>) => values as unknown as NodeJS.ProcessEnv;
const vercel = env({ VERCEL: "1" });

describe("the tick's budget", () => {
  it("follows the tick route's maxDuration, which vercel.json and the route declare alike", () => {
    const routeSource = readFileSync(TICK_ROUTE_FILE, "utf8");
    const declared = Number(/export const maxDuration = (\d+);/.exec(routeSource)?.[1]);
    expect(declared).toBe(tickRouteMaxDurationS());
    expect(tickRouteMaxDurationS()).toBeGreaterThanOrEqual(300); // Fluid compute: 300 s on every plan
    expect(tickBudgetMs(env({}))).toBe(tickRouteMaxDurationS() * 1000 - 10_000);
  });

  it("may be lowered by TICK_BUDGET_MS, never raised past the route's maxDuration", () => {
    expect(tickBudgetMs(env({ TICK_BUDGET_MS: "4000" }))).toBe(4000);
    expect(tickBudgetMs(env({ TICK_BUDGET_MS: String(10 * 3600_000) }))).toBe(tickRouteMaxDurationS() * 1000 - 10_000);
  });
});

describe("registration on Vercel", () => {
  const def = parseDefinition(`
name: slow
steps:
  - name: fetch
    http: { url: "https://example.com/" }
  - name: nap
    depends_on: fetch
    sleep: 2h
`);

  it("refuses a step whose timeout can never fit in a tick, saying why", () => {
    const small = env({ VERCEL: "1", TICK_BUDGET_MS: "4000" });
    expect(maxServerlessStepTimeoutMs(small)).toBeLessThan(30_000);
    let error: unknown;
    try {
      assertFitsServerlessTick(def, small);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DefinitionError);
    const issues = (error as DefinitionError).issues;
    expect(issues).toHaveLength(1); // the sleep only parks: its 2 h are not a timeout
    expect(issues[0]!.path).toBe("steps[0].timeout");
    expect(issues[0]!.message).toMatch(/30s can never fit in a tick/);
    expect(issues[0]!.message).toMatch(/TICK_BUDGET_MS/);
  });

  it("accepts it with the default budget, and anywhere a resident worker can run it", () => {
    expect(() => assertFitsServerlessTick(def, vercel)).not.toThrow();
    expect(() => assertFitsServerlessTick(def, env({ TICK_BUDGET_MS: "4000" }))).not.toThrow();
  });
});
