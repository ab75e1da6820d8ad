/**
 * The `agent` step kind calls an agent action through an `AgentInvoker`: the one the composition
 * root wired (src/runtime/wire.ts: the agents' gateway, with its circuit breaker, rate limit and
 * transports), or a test's override.
 */
import type { Db } from "@/db/client";
import { EngineNotWiredError, engineWiring, type AgentInvoker } from "../wiring";

export type { AgentCall, AgentInvoker, AgentResult } from "../wiring";

const KEY = Symbol.for("agent-orchestrator.agent-invoker");
const g = globalThis as typeof globalThis & { [KEY]?: AgentInvoker };

/** Overrides the wired invoker (tests that observe or fake the calls themselves); undefined restores it. */
export function setAgentInvoker(invoker: AgentInvoker | undefined): void {
  g[KEY] = invoker;
}

export function agentInvoker(): AgentInvoker {
  const invoker = g[KEY] ?? engineWiring()?.invoker;
  if (!invoker) throw new EngineNotWiredError("no agent invoker to run an agent step with");
  return invoker;
}

/** Writes the wired invoker's batched call records (the end of a tick, of a worker). */
export async function flushCalls(db: Db): Promise<void> {
  await engineWiring()?.invoker.flush?.(db);
}
