/**
 * The `agent` step kind calls an agent action through an `AgentInvoker`. The engine only knows
 * this interface; the agents and their transports (signed HTTP, in process) plug in here.
 * Until one is installed, actions registered in process with `registerInProcessAgent` answer.
 */
import { NonRetryableError } from "../step-errors";

export interface AgentCall {
  agent: string;
  action: string;
  input: unknown;
  /** `<run id>:<step>[:<index>]`, stable across attempts. */
  idempotencyKey: string;
  /** 1-based. */
  attempt: number;
  timeoutMs: number;
  signal: AbortSignal;
}

/** `completed` carries the output; `accepted` means the agent will call back (the step waits). */
export type AgentResult = { status: "completed"; output: unknown } | { status: "accepted" };

export interface AgentInvoker {
  invoke(call: AgentCall): Promise<AgentResult>;
}

export type InProcessAction = (input: unknown, call: AgentCall) => Promise<unknown>;

const KEY = Symbol.for("agent-orchestrator.agents");
type Store = { invoker?: AgentInvoker; actions: Map<string, InProcessAction> };
const g = globalThis as typeof globalThis & { [KEY]?: Store };
const store: Store = (g[KEY] ??= { actions: new Map() });

export function registerInProcessAgent(agent: string, actions: Record<string, InProcessAction>): void {
  for (const [action, fn] of Object.entries(actions)) store.actions.set(`${agent}/${action}`, fn);
}

export function setAgentInvoker(invoker: AgentInvoker | undefined): void {
  store.invoker = invoker;
}

const inProcessInvoker: AgentInvoker = {
  async invoke(call) {
    const fn = store.actions.get(`${call.agent}/${call.action}`);
    if (!fn) throw new NonRetryableError(`No agent action ${call.agent}/${call.action} is available.`);
    return { status: "completed", output: await fn(call.input, call) };
  },
};

export function agentInvoker(): AgentInvoker {
  return store.invoker ?? inProcessInvoker;
}
