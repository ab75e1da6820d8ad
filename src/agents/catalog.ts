/**
 * The agents this deployment serves: the five built-in ones, plus any registered at run time
 * (tests, extensions). The engine consults it, as the directory the composition root wires in
 * (src/runtime/wire.ts), when a definition is registered (an unknown agent or action is refused;
 * an agent step without a timeout takes its action's), and the transports when a step calls an action.
 */
import { z } from "zod";
import { ads } from "./ads";
import { automation } from "./automation";
import { core } from "./core";
import { designIa } from "./design-ia";
import type { Role } from "@/auth/roles";
import {
  DEFAULT_ACTION_TIMEOUT_MS,
  defineAction,
  defineAgent,
  type ActionContext,
  type ActionSpec,
  type AgentSpec,
} from "./framework";
import { orders } from "./orders";

export const BUILT_IN_AGENTS = ["design-ia", "automation", "ads", "core", "orders"] as const;

const KEY = Symbol.for("agent-orchestrator.agent-catalog");
const g = globalThis as typeof globalThis & { [KEY]?: Map<string, AgentSpec> };

function catalog(): Map<string, AgentSpec> {
  // One map per process, shared by every route bundle (Next bundles routes separately).
  return (g[KEY] ??= new Map<string, AgentSpec>([designIa, automation, ads, core, orders].map((a) => [a.name, a])));
}

/** Adds (or replaces) an agent served in this process, e.g. a test agent. Built-ins cannot be replaced. */
export function registerAgent(spec: AgentSpec): void {
  if ((BUILT_IN_AGENTS as readonly string[]).includes(spec.name)) throw new Error(`"${spec.name}" is a built-in agent`);
  catalog().set(spec.name, defineAgent(spec));
}

/**
 * An agent whose actions take and return anything (no schemas), for tests and benchmarks:
 * it still goes through the transports, the gateway and the signature like any other.
 */
export function registerInProcessAgent(
  name: string,
  handlers: Record<string, (input: unknown, ctx: ActionContext) => Promise<unknown>>,
): void {
  const actions = Object.fromEntries(
    Object.entries(handlers).map(([action, handler]) => [
      action,
      defineAction({ description: `${name}/${action}`, input: z.unknown(), output: z.unknown(), handler }),
    ]),
  );
  registerAgent({ name, description: "Registered in process.", actions });
}

export function findAgent(name: string): AgentSpec | undefined {
  return catalog().get(name);
}

export function findAction(agent: string, action: string): ActionSpec | undefined {
  const spec = catalog().get(agent);
  return spec && Object.hasOwn(spec.actions, action) ? spec.actions[action] : undefined;
}

export function actionTimeoutMs(agent: string, action: string): number {
  return findAction(agent, action)?.timeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS;
}

export function listAgents(): AgentSpec[] {
  return [...catalog().values()];
}

/** JSON Schema of a zod schema, never throwing (a type JSON Schema cannot express becomes `{}`). */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): unknown {
  return z.toJSONSchema(schema, { io, unrepresentable: "any" });
}

export interface AgentDescription {
  name: string;
  description: string;
  /** `directCall`: the least role that may call the action with an API key; null: workflow steps only. */
  actions: {
    name: string;
    description: string;
    input: unknown;
    output: unknown;
    timeoutMs: number;
    directCall: Role | null;
    /** The result cache's policy (the gateway answers a repeated input from it), null when not cacheable. */
    cache: { ttlMs: number; version: number } | null;
  }[];
}

export function describeAgents(): AgentDescription[] {
  return listAgents().map((agent) => ({
    name: agent.name,
    description: agent.description,
    actions: Object.entries(agent.actions).map(([name, action]) => ({
      name,
      description: action.description,
      input: jsonSchema(action.input, "input"),
      output: jsonSchema(action.output, "output"),
      timeoutMs: action.timeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS,
      directCall: action.directCall ?? null,
      cache: action.cache ?? null,
    })),
  }));
}
