/**
 * What the engine needs from the layers above it, handed to it once per process by the
 * composition root (src/runtime/wire.ts): the directory of agents (to check agent steps and
 * give them their action's timeout), the invoker that calls an agent, and the housekeeping
 * chores that ride on the ticks. The engine imports none of those layers; an engine that was
 * never wired refuses agent steps and registrations naming agents with EngineNotWiredError,
 * rather than guessing.
 */
import type { Db } from "@/db/client";
import { setActionTimeoutLookup } from "./definition/agent-defaults";

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
 * `completed` carries the output (`cached`: the invoker answered from its result cache without
 * calling the agent; the step records it); `accepted` means the agent will call back (the step
 * waits); `deferred` means the call was not made (circuit open, rate limit): the step goes back to
 * the queue until `until` without using an attempt.
 */
export type AgentResult =
  | { status: "completed"; output: unknown; cached?: { key: string; storedAt: string } }
  | { status: "accepted" }
  | { status: "deferred"; until: Date; reason: string };

export interface AgentInvoker {
  invoke(call: AgentCall): Promise<AgentResult>;
  /** Writes what the invoker records in batches (the call record) before a tick or worker ends. */
  flush?(db: Db): Promise<void>;
}

export interface AgentDirectory {
  hasAgent(agent: string): boolean;
  /** The action an agent step names (its declared timeout, if any), or undefined when there is none. */
  findAction(agent: string, action: string): { timeoutMs?: number } | undefined;
}

/** A periodic chore of the ticks (src/engine/housekeeping.ts runs it at most once per `everyMs`). */
export interface Chore {
  name: string;
  everyMs: number;
  /**
   * `budgetMs`: what is left of the tick that runs it (Infinity outside a tick); a chore whose
   * work can be split (retention) takes a share of it, so a short tick still runs steps.
   */
  run(db: Db, context: { budgetMs: number }): Promise<unknown>;
  /**
   * When the chore next has work falling due (ms, 0: due now), or null when it has none: a route
   * tick carries such a timer like its own.
   */
  nextDueInMs?(db: Db): Promise<number | null>;
}

export interface EngineWiring {
  agents: AgentDirectory;
  invoker: AgentInvoker;
  chores: readonly Chore[];
}

export class EngineNotWiredError extends Error {
  constructor(needs: string) {
    super(
      `The engine is not wired: ${needs}. Call ensureWired() from src/runtime/wire.ts first ` +
        "(instrumentation, scripts/worker.ts, the tick and cron routes and the test setup do).",
    );
    this.name = "EngineNotWiredError";
  }
}

// One wiring per process, shared by every route bundle (Next bundles routes separately).
const KEY = Symbol.for("agent-orchestrator.engine-wiring");
const g = globalThis as typeof globalThis & { [KEY]?: EngineWiring };

export function wireEngine(wiring: EngineWiring): void {
  g[KEY] = wiring;
  // Agent steps without a `timeout` take their action's (engine/definition/agent-defaults.ts).
  setActionTimeoutLookup((agent, action) => wiring.agents.findAction(agent, action)?.timeoutMs);
}

/** Back to the unwired state (tests of that state). */
export function unwireEngine(): void {
  g[KEY] = undefined;
  setActionTimeoutLookup(undefined);
}

export function engineWiring(): EngineWiring | undefined {
  return g[KEY];
}

export function wiredAgents(): AgentDirectory {
  const wiring = g[KEY];
  if (!wiring) throw new EngineNotWiredError("no agent directory to check agent steps against");
  return wiring.agents;
}
