/**
 * Adaptive timeouts per agent action (issue 17, part 3). An action that declares
 * `adaptiveTimeout: { floorMs, ceilingMs?, margin? }` gets, for each new call, the p99 of its
 * recent calls × its margin (default 1.5), bounded by its floor and ceiling; the others keep their
 * static timeout. Learned from `agent_calls` (every instance's calls), recomputed by a chore
 * (src/runtime/chores.ts) into `agent_action_timeouts`, and read per call from an in-process memo
 * of that small table (refreshed every 10 s), so the hot path costs no query.
 *
 * Decisions:
 * - The ceiling is at most the static `timeoutMs`, which stays the step's timeout and lease (what
 *   the engine and the tick budget were sized for): adapting only ever cuts a call shorter than
 *   its step would have. The learned value tightens after fast calls and widens after slow ones.
 * - Widening needs no uncensored sample: a call cut by its adaptive timeout is recorded as a
 *   failure lasting that timeout, so while calls keep hitting it the p99 equals the timeout and
 *   each recomputation widens it by the margin, up to the ceiling.
 * - Calls answered `accepted` (202) count with their time to answer (the timeout bounds that
 *   synchronous call, not the callback wait); `rejected` (the caller's fault) do not count.
 * - A step that sets its own `timeout` (different from the action's) keeps it: static. So does
 *   every action while nothing is learned yet (fewer than MIN_SAMPLES calls in the window) and
 *   every action when AGENT_ADAPTIVE_TIMEOUTS=0.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { toDate, toNumber } from "@/db/rows";
import type { AgentCall, AgentResult } from "@/engine/kinds/agent";
import { readEnv } from "@/env";
import { findAction, listAgents } from "../catalog";
import { DEFAULT_ACTION_TIMEOUT_MS, type ActionSpec } from "../framework";
import { AgentCallFailed } from "../transport";
import { flushCalls } from "./calls";
import { memoOnEnv } from "./env-memo";

export const ADAPTIVE_WINDOW_MS = 3_600_000;
export const ADAPTIVE_MIN_SAMPLES = 20;
export const ADAPTIVE_QUANTILE = 0.99;
export const DEFAULT_MARGIN = 1.5;
const MEMO_TTL_MS = 10_000;

export interface AdaptiveBounds {
  staticMs: number;
  floorMs: number;
  ceilingMs: number;
  margin: number;
}

export const adaptiveTimeoutsEnabled: () => boolean = memoOnEnv(
  ["AGENT_ADAPTIVE_TIMEOUTS"],
  () => readEnv().AGENT_ADAPTIVE_TIMEOUTS !== "0",
);

/** The action's declared bounds, or null when its timeout is static. */
export function adaptiveBounds(spec: Pick<ActionSpec, "timeoutMs" | "adaptiveTimeout">): AdaptiveBounds | null {
  const adaptive = spec.adaptiveTimeout;
  if (!adaptive) return null;
  const staticMs = spec.timeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS;
  const ceilingMs = Math.min(adaptive.ceilingMs ?? staticMs, staticMs);
  return {
    staticMs,
    floorMs: Math.min(adaptive.floorMs, ceilingMs),
    ceilingMs,
    margin: adaptive.margin ?? DEFAULT_MARGIN,
  };
}

/** A timeout held within the action's floor and ceiling. */
function withinBounds(ms: number, bounds: Pick<AdaptiveBounds, "floorMs" | "ceilingMs">): number {
  return Math.min(bounds.ceilingMs, Math.max(bounds.floorMs, ms));
}

/** p99 × margin within the bounds (the chore's SQL computes the same when it stores it). */
export function boundedTimeout(p99Ms: number, bounds: AdaptiveBounds): number {
  return withinBounds(Math.ceil(p99Ms * bounds.margin), bounds);
}

const key = (agent: string, action: string) => `${agent}\u0000${action}`;

const memos = new WeakMap<Db, { at: number; timeouts: Map<string, number> }>();

/** The learned timeouts of every action, at most MEMO_TTL_MS old. */
export async function learnedTimeouts(db: Db, maxAgeMs = MEMO_TTL_MS): Promise<Map<string, number>> {
  const memo = memos.get(db);
  if (memo && performance.now() - memo.at < maxAgeMs) return memo.timeouts;
  const rows = await queryRows<{ agent: string; action: string; timeout_ms: unknown }>(
    db,
    sql`select agent, action, timeout_ms from agent_action_timeouts`,
  );
  const timeouts = new Map(rows.map((r) => [key(r.agent, r.action), toNumber(r.timeout_ms)]));
  memos.set(db, { at: performance.now(), timeouts });
  return timeouts;
}

/** The timeout this call gets: the learned one for an adaptive action, else the step's. */
export async function callTimeoutMs(call: Pick<AgentCall, "db" | "agent" | "action" | "timeoutMs">): Promise<number> {
  const spec = findAction(call.agent, call.action);
  const bounds = spec ? adaptiveBounds(spec) : null;
  if (!bounds || call.timeoutMs !== bounds.staticMs || !adaptiveTimeoutsEnabled()) return call.timeoutMs;
  const learned = (await learnedTimeouts(call.db)).get(key(call.agent, call.action));
  if (learned === undefined) return call.timeoutMs;
  // The declaration may have changed since the value was learned: its current bounds apply.
  return Math.min(call.timeoutMs, withinBounds(learned, bounds));
}

/**
 * Runs the call within its adaptive timeout (when shorter than the step's): past it, the call is
 * aborted and fails as the agent's fault (retried, counted against its breaker).
 */
export async function withAdaptiveTimeout(
  call: AgentCall,
  run: (call: AgentCall) => Promise<AgentResult>,
): Promise<AgentResult> {
  const timeoutMs = await callTimeoutMs(call);
  if (timeoutMs >= call.timeoutMs) return run(call);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(
        new AgentCallFailed(
          `${call.agent}/${call.action} did not answer within its adaptive timeout of ${timeoutMs} ms (static ${call.timeoutMs} ms).`,
          true,
        ),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      run({ ...call, timeoutMs, signal: AbortSignal.any([call.signal, controller.signal]) }),
      expired,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

interface Declared extends AdaptiveBounds {
  agent: string;
  action: string;
}

function declaredActions(): Declared[] {
  const out: Declared[] = [];
  for (const agent of listAgents())
    for (const [action, spec] of Object.entries(agent.actions)) {
      const bounds = adaptiveBounds(spec);
      if (bounds) out.push({ agent: agent.name, action, ...bounds });
    }
  return out;
}

export interface RecomputeOptions {
  windowMs?: number;
  minSamples?: number;
}

export interface LearnedTimeout {
  agent: string;
  action: string;
  timeoutMs: number;
  p99Ms: number;
  samples: number;
}

/**
 * Recomputes the learned timeout of every adaptive action with enough calls in the window (one
 * statement; instances racing each other write the same values). Returns what it wrote.
 */
export async function recomputeAdaptiveTimeouts(db: Db, options: RecomputeOptions = {}): Promise<LearnedTimeout[]> {
  const declared = declaredActions();
  if (declared.length === 0) return [];
  await flushCalls(db);
  const windowMs = options.windowMs ?? ADAPTIVE_WINDOW_MS;
  const minSamples = options.minSamples ?? ADAPTIVE_MIN_SAMPLES;
  const specs = declared.map((d) => ({
    agent: d.agent,
    action: d.action,
    static_ms: d.staticMs,
    floor_ms: d.floorMs,
    ceiling_ms: d.ceilingMs,
    margin: d.margin,
  }));
  const rows = await queryRows<{
    agent: string;
    action: string;
    timeout_ms: unknown;
    p99_ms: unknown;
    samples: unknown;
  }>(
    db,
    sql`with spec as (
          select * from jsonb_to_recordset(${JSON.stringify(specs)}::jsonb)
            as s(agent text, action text, static_ms int, floor_ms int, ceiling_ms int, margin float8)
        ), obs as (
          select s.agent, s.action, count(*)::int as samples,
            percentile_cont(${ADAPTIVE_QUANTILE}) within group (order by c.duration_ms)::float8 as p99
          from spec s join agent_calls c on c.agent = s.agent and c.action = s.action
          where c.at > now() - ${windowMs} * interval '1 millisecond' and c.outcome in ('succeeded', 'accepted', 'failed')
          group by s.agent, s.action
        )
        insert into agent_action_timeouts (agent, action, timeout_ms, p99_ms, samples, static_ms, floor_ms, ceiling_ms, computed_at)
        select s.agent, s.action, least(s.ceiling_ms, greatest(s.floor_ms, ceil(o.p99 * s.margin)))::int,
               o.p99, o.samples, s.static_ms, s.floor_ms, s.ceiling_ms, now()
        from spec s join obs o on o.agent = s.agent and o.action = s.action
        where o.samples >= ${minSamples}
        on conflict (agent, action) do update set timeout_ms = excluded.timeout_ms, p99_ms = excluded.p99_ms,
          samples = excluded.samples, static_ms = excluded.static_ms, floor_ms = excluded.floor_ms,
          ceiling_ms = excluded.ceiling_ms, computed_at = excluded.computed_at
        returning agent, action, timeout_ms, p99_ms, samples`,
  );
  memos.delete(db);
  return rows.map((r) => ({
    agent: r.agent,
    action: r.action,
    timeoutMs: toNumber(r.timeout_ms),
    p99Ms: toNumber(r.p99_ms),
    samples: toNumber(r.samples),
  }));
}

export interface AdaptiveTimeoutView {
  agent: string;
  action: string;
  staticMs: number;
  floorMs: number;
  ceilingMs: number;
  margin: number;
  /** What a new call gets now (the static value while nothing is learned, or when turned off). */
  effectiveMs: number;
  learned: { timeoutMs: number; p99Ms: number; samples: number; computedAt: string } | null;
  /** The learned value sits at the ceiling: the action is slower than its ceiling lets it be. */
  atCeiling: boolean;
}

/** Every adaptive action with its static value, bounds and learned value (the dashboard's view). */
export async function adaptiveTimeoutsView(db: Db): Promise<{ enabled: boolean; actions: AdaptiveTimeoutView[] }> {
  const rows = await queryRows<{
    agent: string;
    action: string;
    timeout_ms: unknown;
    p99_ms: unknown;
    samples: unknown;
    computed_at: unknown;
  }>(db, sql`select agent, action, timeout_ms, p99_ms, samples, computed_at from agent_action_timeouts`);
  const learned = new Map(rows.map((r) => [key(r.agent, r.action), r]));
  const enabled = adaptiveTimeoutsEnabled();
  return {
    enabled,
    actions: declaredActions().map((d) => {
      const row = learned.get(key(d.agent, d.action));
      const value = row ? withinBounds(toNumber(row.timeout_ms), d) : null;
      return {
        agent: d.agent,
        action: d.action,
        staticMs: d.staticMs,
        floorMs: d.floorMs,
        ceilingMs: d.ceilingMs,
        margin: d.margin,
        effectiveMs: enabled && value !== null ? value : d.staticMs,
        learned: row
          ? {
              timeoutMs: toNumber(row.timeout_ms),
              p99Ms: toNumber(row.p99_ms),
              samples: toNumber(row.samples),
              computedAt: (toDate(row.computed_at) ?? new Date(0)).toISOString(),
            }
          : null,
        atCeiling: value !== null && value >= d.ceilingMs && d.ceilingMs > d.floorMs,
      };
    }),
  };
}
