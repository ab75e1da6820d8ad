import { expect, it } from "vitest";
import { BUILT_IN_AGENTS, listAgents } from "@/agents/catalog";
import { DEFAULT_ACTION_TIMEOUT_MS } from "@/agents/framework";

/** The tick route's default budget (50 s) minus its recording margin: a step only runs if its timeout fits. */
const TICK_ROUTE_BUDGET_MS = 50_000 - 150;

it("gives every built-in action a timeout that fits the serverless tick's budget", () => {
  const actions = listAgents()
    .filter((a) => (BUILT_IN_AGENTS as readonly string[]).includes(a.name))
    .flatMap((a) =>
      Object.entries(a.actions).map(
        ([name, spec]) => [`${a.name}/${name}`, spec.timeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS] as const,
      ),
    );
  expect(actions.length).toBeGreaterThanOrEqual(18);
  for (const [name, timeout] of actions) expect(timeout, name).toBeLessThanOrEqual(TICK_ROUTE_BUDGET_MS);
});
