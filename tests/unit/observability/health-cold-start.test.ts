/**
 * /api/health is what a fresh process answers first (and what the rehearsal times as the cold
 * start): loading it must not load the agents (every agent module, html-validate, the AI SDK).
 * The agent catalog installs the action-timeout lookup when it loads, so its absence proves it.
 */
import { expect, it } from "vitest";

it("loading /api/health and /api/health/self loads no agent", async () => {
  await import("@/app/api/health/route");
  await import("@/app/api/health/self/route");
  expect((globalThis as Record<symbol, unknown>)[Symbol.for("agent-orchestrator.action-timeouts")]).toBeUndefined();
  // The probe is sound: loading the catalog does set it.
  await import("@/agents/catalog");
  expect((globalThis as Record<symbol, unknown>)[Symbol.for("agent-orchestrator.action-timeouts")]).toBeTypeOf(
    "function",
  );
});
