/**
 * The result cache of deterministic agent actions. An action that declares `cache: { ttlMs,
 * version }` in its spec (src/agents/framework.ts) is answered, for an input it has answered
 * before, from Postgres (`agent_cache_entries`) without calling the agent: no transport, no
 * circuit breaker, no rate limit token. The key is the SHA-256 of the agent, the action, the
 * action's version and the SHA-256 of the canonical input (JSON with its object keys sorted at
 * every depth), so `{a, b}` and `{b, a}` are one entry, and a new version never reads the old
 * one's answers.
 *
 * Decisions:
 * - Only a `completed` answer is stored: a refusal (4xx), a failure and an async answer (202 and
 *   a callback later) are not, so they are asked again every time.
 * - Two instances missing the same key at once both call the agent and both store; the upsert
 *   keeps one complete row (the last writer's, equal by determinism). No lock is held across the
 *   call: a slow agent must not make the other instances wait on a row lock.
 * - The cache is an optimisation: a lookup or a store that fails (database trouble) is logged
 *   and the call goes through as if the action were not cacheable.
 * - The input is never stored (it may hold personal data: a brief's contact email), only its
 *   hash; the output is what the step stores as its own output anyway.
 * - Every lookup is a metric point (`agent.cache.lookup`: its duration, labelled `result: hit |
 *   miss`), buffered like the others: the dashboard's hit rate per action and the
 *   `cache_miss_rate` alert read them from the raw points (kept 24 h).
 * - Expired entries are never served (`expires_at > now()`, the database's clock, one for every
 *   instance) and are deleted in batches by retention (src/operations/retention/targets.ts).
 */
import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import { toIso, toNumber } from "@/db/rows";
import type { AgentCall, AgentResult } from "@/engine/kinds/agent";
import { NotFoundError } from "@/errors";
import { log } from "@/observability/log";
import { flushMetrics, METRICS, recordMetric } from "@/observability/metrics/record";
import { findAction, listAgents } from "../catalog";
import { ACTION_NAME, AGENT_NAME, type ActionCachePolicy } from "../framework";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return value;
  const object = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(object)
      .sort()
      .map((k) => [k, sortKeys(object[k])]),
  );
}

/** JSON with every object's keys sorted: equal for inputs that differ only in key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value ?? null)) ?? "null";
}

/** SHA-256 (hex) of the canonical JSON of an action's input. */
export function inputHashOf(input: unknown): string {
  return sha256(canonicalJson(input));
}

/** The entry key: SHA-256 of the agent, the action, its version and its input's hash. */
export function cacheKeyOf(agent: string, action: string, version: number, inputHash: string): string {
  return sha256(JSON.stringify([agent, action, version, inputHash]));
}

interface CacheRef {
  agent: string;
  action: string;
  policy: ActionCachePolicy;
  inputHash: string;
  key: string;
}

/** What the gateway does with a cacheable call: the hit to answer with, or how to store the answer. */
export interface CacheLookup {
  /** The stored answer (the agent is not called), or undefined on a miss. */
  hit?: AgentResult;
  /** Stores a miss's answer (a no-op for a hit, for anything but `completed`); never throws. */
  store(result: AgentResult): Promise<void>;
}

/**
 * Looks a call up: undefined when its action is not cacheable (or the lookup failed), else the
 * hit or the means to store the answer. The hit carries `cached` for the engine to record on the
 * step.
 */
export async function lookupCache(call: AgentCall): Promise<CacheLookup | undefined> {
  const policy = findAction(call.agent, call.action)?.cache;
  if (!policy) return undefined;
  // The transports send `input ?? {}`: hash what the agent would receive.
  const inputHash = inputHashOf(call.input ?? {});
  const ref: CacheRef = {
    agent: call.agent,
    action: call.action,
    policy,
    inputHash,
    key: cacheKeyOf(call.agent, call.action, policy.version, inputHash),
  };
  const started = performance.now();
  let row: { output: unknown; created_at: unknown } | undefined;
  try {
    [row] = await queryRows<{ output: unknown; created_at: unknown }>(
      call.db,
      sql`select output, created_at from agent_cache_entries where key = ${ref.key} and expires_at > now()`,
    );
  } catch (error) {
    log.warn("agent cache: lookup failed, calling the agent", { agent: call.agent, action: call.action, error });
    return undefined;
  }
  recordMetric(call.db, {
    name: METRICS.agentCacheLookup,
    value: Math.round((performance.now() - started) * 1000) / 1000,
    labels: { agent: call.agent, action: call.action, result: row ? "hit" : "miss" },
  });
  if (row)
    return {
      hit: { status: "completed", output: row.output, cached: { key: ref.key, storedAt: toIso(row.created_at)! } },
      store: async () => undefined,
    };
  return { store: (result) => storeResult(call.db, ref, result) };
}

async function storeResult(db: Db, ref: CacheRef, result: AgentResult): Promise<void> {
  if (result.status !== "completed") return;
  try {
    await db.execute(sql`insert into agent_cache_entries (key, agent, action, version, input_hash, output, created_at, expires_at)
      values (${ref.key}, ${ref.agent}, ${ref.action}, ${ref.policy.version}, ${ref.inputHash},
        ${JSON.stringify(result.output ?? null)}::jsonb, now(), now() + ${ref.policy.ttlMs} * interval '1 millisecond')
      on conflict (key) do update set output = excluded.output, created_at = excluded.created_at, expires_at = excluded.expires_at`);
  } catch (error) {
    log.warn("agent cache: store failed", { agent: ref.agent, action: ref.action, error });
  }
}

/** `DELETE /api/agents/cache`: by key, or every entry (all versions) of one action. */
export const invalidateCacheQuery = z
  .strictObject({
    agent: z.string().regex(AGENT_NAME, "an agent name").optional(),
    action: z.string().regex(ACTION_NAME, "an action name").optional(),
    key: z
      .string()
      .regex(/^[0-9a-f]{64}$/, "a cache key: 64 lowercase hex digits")
      .optional(),
  })
  .refine((q) => (q.key === undefined) !== (q.agent === undefined && q.action === undefined), {
    message: "name either a key, or an agent and its action",
  })
  .refine((q) => q.key !== undefined || (q.agent !== undefined && q.action !== undefined), {
    message: "an action is named by both agent and action",
  });
export type InvalidateCacheQuery = z.output<typeof invalidateCacheQuery>;

/** Deletes the entries named; how many there were. An action unknown to the catalog is a 404. */
export async function invalidateCache(db: Db, by: InvalidateCacheQuery): Promise<{ deleted: number }> {
  if (by.key !== undefined) {
    const rows = await queryRows<{ key: string }>(
      db,
      sql`delete from agent_cache_entries where key = ${by.key} returning key`,
    );
    return { deleted: rows.length };
  }
  const agent = by.agent!;
  const action = by.action!;
  if (!findAction(agent, action)) throw new NotFoundError(`No agent action is named ${agent}/${action}.`);
  const [row] = await queryRows<{ n: unknown }>(
    db,
    sql`with d as (delete from agent_cache_entries where agent = ${agent} and action = ${action} returning 1)
        select count(*)::int as n from d`,
  );
  return { deleted: toNumber(row?.n ?? 0) };
}

export interface CacheActionStats {
  agent: string;
  action: string;
  /** Declared cacheable now (an action that no longer is still shows its recent lookups). */
  cacheable: boolean;
  ttlMs: number | null;
  version: number | null;
  lookups: number;
  hits: number;
  misses: number;
  /** hits / lookups over the window; null without lookups. */
  hitRate: number | null;
  missRate: number | null;
  /** Entries stored and not expired (every version). */
  entries: number;
  /** The lookup's own latency on hits (ms). */
  hitP50Ms: number | null;
  hitP95Ms: number | null;
}

const nullableNumber = (v: unknown) => (v === null || v === undefined ? null : toNumber(v));

/**
 * Lookups, hits and misses per action over the last `windowMs` (from the raw metric points,
 * through metric_points_name_at_idx), with the entries stored now; every cacheable action is
 * listed, with or without lookups.
 */
export async function cacheStats(
  db: Db,
  options: { windowMs: number; now?: Date; agent?: string },
): Promise<CacheActionStats[]> {
  // This process's buffered points first, so a lookup just made counts.
  await flushMetrics(db);
  const at = options.now ? sql`${options.now.toISOString()}::timestamptz` : sql`now()`;
  const agent = options.agent ?? null;
  const lookups = await queryRows<Record<string, unknown>>(
    db,
    sql`select agent, labels->>'action' as action,
          count(*) filter (where labels->>'result' = 'hit')::int as hits,
          count(*) filter (where labels->>'result' = 'miss')::int as misses,
          (percentile_cont(0.5) within group (order by value) filter (where labels->>'result' = 'hit'))::float8 as hit_p50,
          (percentile_cont(0.95) within group (order by value) filter (where labels->>'result' = 'hit'))::float8 as hit_p95
        from metric_points
        where name = ${METRICS.agentCacheLookup} and at > ${at} - ${options.windowMs} * interval '1 millisecond' and at <= ${at}
          and (${agent}::text is null or agent = ${agent})
        group by 1, 2`,
  );
  const entries = await queryRows<{ agent: string; action: string; n: unknown }>(
    db,
    sql`select agent, action, count(*)::int as n from agent_cache_entries
        where expires_at > now() and (${agent}::text is null or agent = ${agent}) group by 1, 2`,
  );
  const byAction = new Map<string, CacheActionStats>();
  const entryOf = (a: string, b: string): CacheActionStats => {
    const id = `${a}/${b}`;
    let s = byAction.get(id);
    if (!s) {
      const policy = findAction(a, b)?.cache;
      s = {
        agent: a,
        action: b,
        cacheable: policy !== undefined,
        ttlMs: policy?.ttlMs ?? null,
        version: policy?.version ?? null,
        lookups: 0,
        hits: 0,
        misses: 0,
        hitRate: null,
        missRate: null,
        entries: 0,
        hitP50Ms: null,
        hitP95Ms: null,
      };
      byAction.set(id, s);
    }
    return s;
  };
  for (const spec of listAgents())
    for (const [name, action] of Object.entries(spec.actions))
      if (action.cache && (agent === null || spec.name === agent)) entryOf(spec.name, name);
  for (const r of lookups) {
    const s = entryOf(String(r.agent), String(r.action));
    s.hits = toNumber(r.hits);
    s.misses = toNumber(r.misses);
    s.lookups = s.hits + s.misses;
    s.hitRate = s.lookups > 0 ? s.hits / s.lookups : null;
    s.missRate = s.lookups > 0 ? s.misses / s.lookups : null;
    s.hitP50Ms = nullableNumber(r.hit_p50);
    s.hitP95Ms = nullableNumber(r.hit_p95);
  }
  for (const r of entries) entryOf(r.agent, r.action).entries = toNumber(r.n);
  return [...byAction.values()].sort((a, b) =>
    a.agent === b.agent ? a.action.localeCompare(b.action) : a.agent.localeCompare(b.agent),
  );
}
