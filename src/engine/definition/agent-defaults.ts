/**
 * An `agent` step without a `timeout` gets its action's declared timeout (timeouts per agent
 * and action). The definition layer stays pure and knows no agent: wiring the engine installs
 * the lookup (src/engine/wiring.ts, from the composition root src/runtime/wire.ts); unwired, a
 * step gets the platform's default, and registering it is refused (engine/registry.ts).
 */
import { DEFAULT_TIMEOUT_MS } from "./types";

type Lookup = (agent: string, action: string) => number | undefined;
const KEY = Symbol.for("agent-orchestrator.action-timeouts");
const g = globalThis as typeof globalThis & { [KEY]?: Lookup };

export function setActionTimeoutLookup(lookup: Lookup | undefined): void {
  g[KEY] = lookup;
}

/** The timeout a step gets when it sets none. */
export function defaultStepTimeoutMs(step: { agent?: string; action?: string }): number {
  if (step.agent === undefined || step.action === undefined) return DEFAULT_TIMEOUT_MS;
  return g[KEY]?.(step.agent, step.action) ?? DEFAULT_TIMEOUT_MS;
}
