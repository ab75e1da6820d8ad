/**
 * Load-adaptive throttling per agent (issue 17, part 5): a concurrency limit per agent that
 * follows AIMD. An agent named in AGENT_CONCURRENCY (`design-ia=8,ads=4`: its largest limit)
 * starts at that limit; every adjustment (a chore, src/runtime/chores.ts, every few seconds)
 * compares its recent calls with its normal band:
 * - its median latency over the last WINDOW is above LATENCY_FACTOR × its median over the hour
 *   before (+ LATENCY_SLACK_MS, so a 2 ms agent taking 5 ms is not "slow"), or its error rate
 *   over the window is above half the breaker's (short of opening the breaker)
 *   → multiplicative decrease: the limit halves (at least 1), at most once per window (one slow
 *   spell halves it once, not at every adjustment);
 * - otherwise → additive increase: one more, up to the largest.
 * Every change is recorded (`agent_throttle_changes`) with its reason.
 *
 * The limit holds across instances through leases in Postgres: `agent_call_slots` has one row
 * per slot (0 … largest − 1); a call takes a free slot below the current limit (one statement,
 * `for update skip locked`, so two instances never take the same slot) and frees it when it
 * ends. A slot's lease expires (the call's timeout + LEASE_GRACE_MS), so a process that dies
 * mid-call frees its slots. A call finding no free slot is deferred like the breaker and the
 * rate limit do: back to the queue for a moment, no attempt used, no step failed. A slot is held
 * until the call answers (an `accepted` action's wait for its callback holds none). Under
 * contention a call may be deferred while a slot is changing hands (`skip locked` passes over a
 * slot being released); more calls than the limit are never let through.
 *
 * An agent not named in AGENT_CONCURRENCY is not throttled and costs no query.
 */
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { toDate, toNumber } from "@/db/rows";
import { readEnv } from "@/env";
import { log } from "@/observability/log";
import { breakerConfig } from "./breaker";
import { flushCalls } from "./calls";
import { memoOnEnv } from "./env-memo";
import { parsePerAgent } from "./per-agent";

export const THROTTLE_WINDOW_MS = 30_000;
export const THROTTLE_BASELINE_MS = 3_600_000;
export const LATENCY_FACTOR = 2;
export const LATENCY_SLACK_MS = 25;
export const DECREASE_FACTOR = 0.5;
/** Calls needed in the window (and in the baseline) before latency or errors are judged. */
const MIN_RECENT_CALLS = 5;
const MIN_BASELINE_CALLS = 20;
const LEASE_GRACE_MS = 10_000;
const DEFER_MS = 200;
const KEEP_CHANGES_MS = 30 * 86_400_000;

/** Parses `agent=N,other=M` (N from 1 to 1000); malformed entries are a configuration error. */
export function parseConcurrency(text: string | undefined): Map<string, number> {
  return parsePerAgent("AGENT_CONCURRENCY", text, '"agent=8" (1 to 1000)', (raw) => {
    const n = /^\d+$/.test(raw) ? Number(raw) : 0;
    return n >= 1 && n <= 1000 ? n : undefined;
  });
}

export const concurrencyLimits: () => Map<string, number> = memoOnEnv(["AGENT_CONCURRENCY"], () =>
  parseConcurrency(readEnv().AGENT_CONCURRENCY),
);

/** The agents whose throttle row and slots exist for their configured largest limit, per database. */
const ensured = new WeakMap<Db, Map<string, number>>();

/** Creates the agent's throttle and slots, or applies a new largest limit (recorded when it lowers the limit). */
async function ensureThrottle(db: Db, agent: string, max: number): Promise<void> {
  let done = ensured.get(db);
  if (!done) ensured.set(db, (done = new Map()));
  if (done.get(agent) === max) return;
  await db.transaction(async (tx) => {
    await tx.execute(sql`insert into agent_throttles (agent, concurrency, max_concurrency) values (${agent}, ${max}, ${max})
      on conflict (agent) do nothing`);
    const [row] = await queryRows<{ concurrency: unknown; max_concurrency: unknown }>(
      tx,
      sql`select concurrency, max_concurrency from agent_throttles where agent = ${agent} for update`,
    );
    if (row && toNumber(row.max_concurrency) !== max) {
      const from = toNumber(row.concurrency);
      const to = Math.min(from, max);
      await tx.execute(
        sql`update agent_throttles set max_concurrency = ${max}, concurrency = ${to}, updated_at = now() where agent = ${agent}`,
      );
      if (to !== from)
        await tx.execute(sql`insert into agent_throttle_changes (agent, from_limit, to_limit, reason)
          values (${agent}, ${from}, ${to}, ${`AGENT_CONCURRENCY lowered its largest limit to ${max}`})`);
    }
    await tx.execute(sql`insert into agent_call_slots (agent, slot)
      select ${agent}, g from generate_series(0, ${max - 1}) g on conflict do nothing`);
  });
  done.set(agent, max);
}

export type Lease = { ok: true; release(): Promise<void> } | { ok: false; until: Date; reason: string };

const FREE: Lease = { ok: true, release: async () => {} };

/** Takes a slot of the agent's current limit for a call of `timeoutMs`, or says to come back later. */
export async function acquireSlot(db: Db, agent: string, timeoutMs: number): Promise<Lease> {
  const max = concurrencyLimits().get(agent);
  if (max === undefined) return FREE;
  await ensureThrottle(db, agent, max);
  let lease = await takeSlot(db, agent, max, timeoutMs);
  if (lease === null) {
    // The throttle's row is gone (the database was restored or emptied under this process): again.
    ensured.get(db)?.delete(agent);
    await ensureThrottle(db, agent, max);
    lease = (await takeSlot(db, agent, max, timeoutMs)) ?? FREE;
  }
  return lease;
}

/** One attempt at a slot; null when the agent has no throttle row. */
async function takeSlot(db: Db, agent: string, max: number, timeoutMs: number): Promise<Lease | null> {
  const holder = randomUUID();
  const [row] = await queryRows<{ lim: unknown; slot: unknown }>(
    db,
    sql`with lim as (select concurrency from agent_throttles where agent = ${agent}),
        pick as (
          select s.slot from agent_call_slots s
          where s.agent = ${agent} and s.slot < (select concurrency from lim)
            and (s.holder is null or s.expires_at <= now())
          order by s.slot limit 1 for update skip locked
        ), took as (
          update agent_call_slots s set holder = ${holder},
            expires_at = now() + ${timeoutMs + LEASE_GRACE_MS} * interval '1 millisecond'
          from pick where s.agent = ${agent} and s.slot = pick.slot returning s.slot
        )
        select (select concurrency from lim) as lim, (select slot from took) as slot`,
  );
  if (row?.lim === null || row?.lim === undefined) return null;
  if (row.slot === null || row.slot === undefined) {
    const limit = toNumber(row.lim);
    return {
      ok: false,
      until: new Date(Date.now() + DEFER_MS + Math.floor(Math.random() * DEFER_MS)),
      reason: `Agent "${agent}" is at its concurrency limit (${limit} of ${max} calls in flight).`,
    };
  }
  const slot = toNumber(row.slot);
  return {
    ok: true,
    release: async () => {
      try {
        await db.execute(sql`update agent_call_slots set holder = null, expires_at = null
          where agent = ${agent} and slot = ${slot} and holder = ${holder}`);
      } catch (error) {
        // The lease expires on its own: the slot is only held longer.
        log.warn("agent throttle: releasing a slot failed", { agent, slot, error });
      }
    },
  };
}

export interface AdjustOptions {
  windowMs?: number;
  /** Across instances, at most one change per agent per this interval (default: the chore's rhythm, less a margin). */
  minIntervalMs?: number;
}

export interface ThrottleChange {
  agent: string;
  from: number;
  to: number;
  reason: string;
}

interface Signals {
  recentCalls: number;
  recentFailures: number;
  recentP50: number | null;
  baselineCalls: number;
  baselineP50: number | null;
}

const num = (v: unknown) => (v === null || v === undefined ? null : toNumber(v));

async function signals(db: Db, agent: string, windowMs: number): Promise<Signals> {
  // Served by agent_calls_agent_at_idx; `rejected` (the caller's fault) says nothing of the agent.
  const [row = {}] = await queryRows<Record<string, unknown>>(
    db,
    sql`select
          count(*) filter (where at > now() - ${windowMs} * interval '1 millisecond')::int as recent_calls,
          count(*) filter (where at > now() - ${windowMs} * interval '1 millisecond' and outcome = 'failed')::int as recent_failures,
          percentile_cont(0.5) within group (order by duration_ms)
            filter (where at > now() - ${windowMs} * interval '1 millisecond')::float8 as recent_p50,
          count(*) filter (where at <= now() - ${windowMs} * interval '1 millisecond')::int as baseline_calls,
          percentile_cont(0.5) within group (order by duration_ms)
            filter (where at <= now() - ${windowMs} * interval '1 millisecond' and outcome <> 'failed')::float8 as baseline_p50
        from agent_calls
        where agent = ${agent} and outcome <> 'rejected' and at > now() - ${THROTTLE_BASELINE_MS} * interval '1 millisecond'`,
  );
  return {
    recentCalls: num(row.recent_calls) ?? 0,
    recentFailures: num(row.recent_failures) ?? 0,
    recentP50: num(row.recent_p50),
    baselineCalls: num(row.baseline_calls) ?? 0,
    baselineP50: num(row.baseline_p50),
  };
}

/** Why the agent is under stress now, or null when it is within its normal band. */
export function stressOf(s: Signals, errorRateLimit: number): string | null {
  if (s.recentCalls < MIN_RECENT_CALLS) return null;
  const rate = s.recentFailures / s.recentCalls;
  if (rate > errorRateLimit)
    return `error rate ${Math.round(rate * 100)}% over the window (${s.recentCalls} calls; throttles above ${Math.round(errorRateLimit * 100)}%)`;
  if (
    s.baselineCalls >= MIN_BASELINE_CALLS &&
    s.recentP50 !== null &&
    s.baselineP50 !== null &&
    s.recentP50 > s.baselineP50 * LATENCY_FACTOR + LATENCY_SLACK_MS
  )
    return `median latency ${Math.round(s.recentP50)} ms, above its normal band (${Math.round(s.baselineP50)} ms over the hour)`;
  return null;
}

/** One AIMD step for every throttled agent (the chore). Returns the changes it made. */
export async function adjustThrottles(db: Db, options: AdjustOptions = {}): Promise<ThrottleChange[]> {
  const limits = concurrencyLimits();
  if (limits.size === 0) return [];
  await flushCalls(db);
  const windowMs = options.windowMs ?? THROTTLE_WINDOW_MS;
  const minIntervalMs = options.minIntervalMs ?? 4_000;
  const errorRateLimit = breakerConfig().errorRate / 2;
  const changes: ThrottleChange[] = [];
  for (const [agent, max] of limits) {
    await ensureThrottle(db, agent, max);
    const [state] = await queryRows<{ concurrency: unknown; recent_decrease: boolean }>(
      db,
      sql`select concurrency, coalesce(decreased_at > now() - ${windowMs} * interval '1 millisecond', false) as recent_decrease
          from agent_throttles where agent = ${agent}`,
    );
    if (!state) {
      ensured.get(db)?.delete(agent); // its row is gone: created again at the next turn
      continue;
    }
    const from = toNumber(state.concurrency);
    const stress = stressOf(await signals(db, agent, windowMs), errorRateLimit);
    let to = from;
    let reason: string;
    if (stress) {
      if (state.recent_decrease || from <= 1) continue;
      to = Math.max(1, Math.floor(from * DECREASE_FACTOR));
      reason = `decrease: ${stress}`;
    } else {
      if (from >= max) continue;
      to = from + 1;
      reason = "increase: latency and errors within the normal band";
    }
    // Conditional on the limit read and on the interval: instances adjusting at once change it once.
    const [changed] = await queryRows<{ agent: string }>(
      db,
      sql`with u as (
            update agent_throttles set concurrency = ${to}, updated_at = now(),
              decreased_at = case when ${to < from} then now() else decreased_at end
            where agent = ${agent} and concurrency = ${from}
              and updated_at <= now() - ${minIntervalMs} * interval '1 millisecond'
            returning agent
          ), h as (
            insert into agent_throttle_changes (agent, from_limit, to_limit, reason) select agent, ${from}, ${to}, ${reason} from u
          )
          select agent from u`,
    );
    if (!changed) continue;
    changes.push({ agent, from, to, reason });
    (to < from ? log.warn : log.info)("agent throttle", { agent, from, to, reason });
  }
  await db.execute(
    sql`delete from agent_throttle_changes where at < now() - ${KEEP_CHANGES_MS} * interval '1 millisecond'`,
  );
  return changes;
}

export interface ThrottleView {
  agent: string;
  concurrency: number;
  maxConcurrency: number;
  /** Still named in AGENT_CONCURRENCY (a row left from an earlier configuration is not enforced). */
  configured: boolean;
  inFlight: number;
  updatedAt: string;
  changes: { from: number; to: number; reason: string; at: string }[];
}

/** Each throttled agent's limit, calls in flight and latest changes (the dashboard's view). */
export async function throttlesView(db: Db, changesPerAgent = 10): Promise<ThrottleView[]> {
  const rows = await queryRows<{
    agent: string;
    concurrency: unknown;
    max_concurrency: unknown;
    updated_at: unknown;
    in_flight: unknown;
    changes: unknown;
  }>(
    db,
    sql`select t.agent, t.concurrency, t.max_concurrency, t.updated_at,
          (select count(*)::int from agent_call_slots s where s.agent = t.agent and s.holder is not null and s.expires_at > now()) as in_flight,
          (select coalesce(json_agg(json_build_object('from', c.from_limit, 'to', c.to_limit, 'reason', c.reason, 'at', c.at) order by c.at desc), '[]'::json)
             from (select * from agent_throttle_changes c where c.agent = t.agent order by c.at desc, c.id desc limit ${changesPerAgent}) c) as changes
        from agent_throttles t order by t.agent`,
  );
  const configured = concurrencyLimits();
  return rows.map((r) => {
    const changes = (typeof r.changes === "string" ? JSON.parse(r.changes) : r.changes) as {
      from: unknown;
      to: unknown;
      reason: string;
      at: string;
    }[];
    return {
      agent: r.agent,
      concurrency: toNumber(r.concurrency),
      maxConcurrency: toNumber(r.max_concurrency),
      configured: configured.has(r.agent),
      inFlight: toNumber(r.in_flight),
      updatedAt: (toDate(r.updated_at) ?? new Date(0)).toISOString(),
      changes: changes.map((c) => ({
        from: toNumber(c.from),
        to: toNumber(c.to),
        reason: c.reason,
        at: (toDate(c.at) ?? new Date(0)).toISOString(),
      })),
    };
  });
}
