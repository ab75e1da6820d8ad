/**
 * The `agent` step kind calls an agent action through an `AgentInvoker`: by default the agents'
 * gateway (src/agents/gateway: circuit breaker, rate limit, then the http or inline transport).
 */
import type { Db } from "@/db/client";
import { gatewayInvoker } from "@/agents/gateway";

export interface AgentCall {
  /** The engine's database (agents that store something use it; the transports record calls). */
  db: Db;
  agent: string;
  action: string;
  input: unknown;
  /** `<run id>:<step>[:<index>]`, stable across attempts. */
  idempotencyKey: string;
  /** 1-based. */
  attempt: number;
  /** Identifies this attempt for an async answer (see taskIdOf). */
  taskId: string;
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * `completed` carries the output; `accepted` means the agent will call back (the step waits);
 * `deferred` means the call was not made (circuit open, rate limit): the step goes back to the
 * queue until `until` without using an attempt.
 */
export type AgentResult =
  | { status: "completed"; output: unknown }
  | { status: "accepted" }
  | { status: "deferred"; until: Date; reason: string };

export interface AgentInvoker {
  invoke(call: AgentCall): Promise<AgentResult>;
}

const KEY = Symbol.for("agent-orchestrator.agent-invoker");
const g = globalThis as typeof globalThis & { [KEY]?: AgentInvoker };

/** Replaces the gateway (tests that need to observe or fake the calls themselves). */
export function setAgentInvoker(invoker: AgentInvoker | undefined): void {
  g[KEY] = invoker;
}

export function agentInvoker(): AgentInvoker {
  return g[KEY] ?? gatewayInvoker;
}
