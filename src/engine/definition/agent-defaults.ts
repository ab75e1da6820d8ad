/**
 * An `agent` step without a `timeout` gets its action's declared timeout (timeouts per agent
 * and action). The definition layer stays pure and knows no agent: the agent catalog installs
 * the lookup when it loads (src/agents/catalog.ts), before any definition is parsed.
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
