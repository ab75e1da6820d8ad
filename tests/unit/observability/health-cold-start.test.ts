/**
 * /api/health is what a fresh process answers first (and what the rehearsal times as the cold
 * start): loading it must not load the agents (every agent module, html-validate, the AI SDK).
 * No module they import reaches src/agents/, and loading them wires nothing: the composition
 * root (src/runtime/wire.ts) installs the action-timeout lookup when it wires the engine.
 */
import { expect, it } from "vitest";
import { modulesReachedFrom } from "../../../scripts/layers";

it("/api/health and /api/health/self import no agent module", { timeout: 60_000 }, async () => {
  const reached = await modulesReachedFrom(["src/app/api/health/route.ts", "src/app/api/health/self/route.ts"]);
  expect(reached).toContain("src/operations/health.ts");
  expect(reached.filter((module) => module.startsWith("src/agents/"))).toEqual([]);
});

it("loading /api/health and /api/health/self loads no agent", async () => {
  await import("@/app/api/health/route");
  await import("@/app/api/health/self/route");
  expect((globalThis as Record<symbol, unknown>)[Symbol.for("agent-orchestrator.action-timeouts")]).toBeUndefined();
  // The probe is sound: wiring the engine (which loads the catalog) does set it.
  const { ensureWired } = await import("@/runtime/wire");
  await ensureWired();
  expect((globalThis as Record<symbol, unknown>)[Symbol.for("agent-orchestrator.action-timeouts")]).toBeTypeOf(
    "function",
  );
});
