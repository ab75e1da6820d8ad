/**
 * What an agent is: a named set of actions, each with a zod input schema, a zod output schema,
 * a default timeout and a handler. The handler gets the parsed input and answers the output
 * (validated before it leaves), or `accepted()` to say it will report back through
 * `POST /api/orchestration/webhooks` with the call's `taskId`.
 *
 * Agents know nothing of the engine: they get a database handle (for actions that store
 * something, e.g. publishing a site or an outbox message) and the call's identity.
 */
import type { z } from "zod";
import type { Role } from "@/auth/roles";
import type { Db } from "@/db/client";
import { CodedError } from "@/errors";
import type { HealthCheck } from "./probe";

export const AGENT_NAME = /^[a-z][a-z0-9-]{0,39}$/;
export const ACTION_NAME = /^[a-z][a-z0-9_]{0,59}$/;
export const DEFAULT_ACTION_TIMEOUT_MS = 30_000;
export const MIN_CACHE_TTL_MS = 1_000;
export const MAX_CACHE_TTL_MS = 30 * 24 * 3_600_000;

export interface ActionContext {
  db: Db;
  agent: string;
  action: string;
  /**
   * `<run id>:<step>[:<index>]` for engine calls (stable across attempts). A direct call's own
   * `Idempotency-Key` arrives namespaced (`direct:<actor>:<key>`, src/agents/access.ts), so it can
   * never equal, and pre-empt, an engine call's; null for a direct call without one.
   */
  idempotencyKey: string | null;
  /** 1-based attempt number; 1 for manual calls. */
  attempt: number;
  /** Identifies this attempt for an async answer (callbacks); null for manual calls. */
  taskId: string | null;
  signal: AbortSignal;
}

const ACCEPTED: unique symbol = Symbol.for("agent-orchestrator.accepted");
export interface Accepted {
  readonly [ACCEPTED]: true;
}
/** Returned by a handler that will answer later through the task callback. */
export function accepted(): Accepted {
  return { [ACCEPTED]: true };
}
export function isAccepted(value: unknown): value is Accepted {
  return typeof value === "object" && value !== null && ACCEPTED in value;
}

export interface ActionSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  description: string;
  input: I;
  output: O;
  /** Per attempt; the step's own `timeout` overrides it. Default 30 s. */
  timeoutMs?: number;
  /**
   * Opt-in: the call's timeout follows the action's observed latency (p99 × `margin`, default 1.5),
   * bounded by `floorMs` and `ceilingMs` (default and at most `timeoutMs`, which stays the step's
   * lease); src/agents/gateway/adaptive-timeout.ts. Leave it out where a static value is required.
   */
  adaptiveTimeout?: { floorMs: number; ceilingMs?: number; margin?: number };
  /**
   * Who may call the action directly (`POST /api/agents/<agent>/<action>` with an API key or the
   * dashboard's session), as the minimum role. Absent: only the engine's signed calls, i.e. the
   * action runs only as a step of a registered workflow. Decision: that is the default because an
   * action that emails, publishes, fetches a URL, buys from a supplier or writes an order would
   * otherwise be a free-form tool for any operator key; declare a role only for actions with no
   * effect outside their answer (pure generation, checks, reads).
   */
  directCall?: Role;
  /**
   * The gateway's result cache (src/agents/gateway/cache.ts): declare it only for an action whose
   * output is a function of its input alone (no clock, no randomness, no read of the database or
   * of the outside world, no effect). The gateway then answers a repeated input from Postgres for
   * `ttlMs` without calling the agent. Bump `version` whenever the handler's answer to the same
   * input changes (new rules, new templates): entries of another version are never served.
   */
  cache?: ActionCachePolicy;
  handler: (input: z.output<I>, ctx: ActionContext) => Promise<z.input<O> | Accepted>;
}

export interface ActionCachePolicy {
  /** How long a stored answer is served, 1 s to 30 days. */
  ttlMs: number;
  /** The action's version: part of the cache key (a positive integer). */
  version: number;
}

export interface AgentSpec {
  name: string;
  description: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a heterogeneous map of typed actions
  actions: Record<string, ActionSpec<any, any>>;
  /** What the agent's probe checks besides the database (probe.ts, probe-checks.ts). */
  health?: readonly HealthCheck[];
}

/** Types an action's handler against its schemas (an identity at run time). */
export function defineAction<I extends z.ZodType, O extends z.ZodType>(spec: ActionSpec<I, O>): ActionSpec<I, O> {
  return spec;
}

export function defineAgent<A extends AgentSpec>(spec: A): A {
  if (!AGENT_NAME.test(spec.name)) throw new Error(`invalid agent name "${spec.name}"`);
  for (const [name, action] of Object.entries(spec.actions)) {
    if (!ACTION_NAME.test(name)) throw new Error(`invalid action name "${spec.name}/${name}"`);
    checkAdaptiveTimeout(`${spec.name}/${name}`, action);
    const cache = action.cache;
    if (
      cache &&
      !(
        Number.isInteger(cache.ttlMs) &&
        cache.ttlMs >= MIN_CACHE_TTL_MS &&
        cache.ttlMs <= MAX_CACHE_TTL_MS &&
        Number.isInteger(cache.version) &&
        cache.version >= 1
      )
    )
      throw new Error(
        `invalid cache policy of "${spec.name}/${name}" (ttlMs 1 s to 30 days, version a positive integer)`,
      );
  }
  return spec;
}

function checkAdaptiveTimeout(name: string, action: ActionSpec): void {
  const adaptive = action.adaptiveTimeout;
  if (!adaptive) return;
  const staticMs = action.timeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS;
  const ceiling = adaptive.ceilingMs ?? staticMs;
  if (!(adaptive.floorMs >= 1 && adaptive.floorMs <= ceiling && ceiling <= staticMs))
    throw new Error(`${name}: an adaptive timeout needs 1 <= floorMs <= ceilingMs <= timeoutMs (${staticMs})`);
  if (adaptive.margin !== undefined && !(adaptive.margin >= 1 && adaptive.margin <= 10))
    throw new Error(`${name}: an adaptive timeout's margin is between 1 and 10`);
}

/**
 * The action refuses its input for a reason its schema cannot express (an unknown site, an
 * inconsistent order): 422 over HTTP, and the step fails at once (retrying cannot help).
 * Any other error thrown by a handler is an agent failure: 500, retried by the engine.
 */
export class ActionRejected extends CodedError {
  constructor(message: string, details?: unknown) {
    super("unprocessable", message, details);
  }
}
