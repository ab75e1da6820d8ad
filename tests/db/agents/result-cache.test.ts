/**
 * The gateway's result cache (src/agents/gateway/cache.ts) on a real database: a cacheable
 * action's repeated input is answered without calling the agent, keyed by agent, action,
 * version and canonical input; expired entries are not served and are pruned; invalidation by
 * action and by key; concurrent misses leave one sound entry; a workflow's step records the hit.
 */
import { sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { registerAgent } from "@/agents/catalog";
import { defineAction } from "@/agents/framework";
import { cacheKeyOf, cacheStats, canonicalJson, inputHashOf, invalidateCache } from "@/agents/gateway/cache";
import { gatewayInvoker } from "@/agents/gateway";
import { queryRows, type Db } from "@/db/client";
import type { AgentCall, AgentResult } from "@/engine/kinds/agent";
import { NotFoundError } from "@/errors";
import { flushMetrics } from "@/observability/metrics/record";
import { runRetention } from "@/operations/retention/prune";
import { NonRetryableError } from "@/step-errors";
import { describeDb } from "../../helpers/db";
import { finishRun, register, stepOf } from "../../helpers/engine";

const AGENT = "cache-test";

/** How many times each action's handler ran. */
const calls = { square: 0, slow: 0, refuse: 0, plain: 0 };
let releaseSlow: () => void = () => undefined;
let slowGate = Promise.resolve();

/** Registers the test agent, its cacheable actions at `version`. */
function registerCacheAgent(version = 1): void {
  const anything = z.unknown();
  registerAgent({
    name: AGENT,
    description: "The result cache's test agent.",
    actions: {
      // Deterministic: the sum of the input's numbers, with the input's keys.
      square: defineAction({
        description: "n² of {n}, with the keys it was given.",
        input: z.looseObject({ n: z.number() }),
        output: anything,
        cache: { ttlMs: 60_000, version },
        handler: async (input) => {
          calls.square += 1;
          return { square: input.n * input.n, keys: Object.keys(input).sort(), version };
        },
      }),
      slow: defineAction({
        description: "Answers once the test lets it.",
        input: anything,
        output: anything,
        cache: { ttlMs: 60_000, version },
        handler: async (input) => {
          calls.slow += 1;
          await slowGate;
          return { echoed: input };
        },
      }),
      refuse: defineAction({
        description: "Refuses every input.",
        input: anything,
        output: anything,
        cache: { ttlMs: 60_000, version },
        handler: async () => {
          calls.refuse += 1;
          throw new NonRetryableError("refused");
        },
      }),
      plain: defineAction({
        description: "Not cacheable.",
        input: anything,
        output: anything,
        handler: async (input) => {
          calls.plain += 1;
          return { echoed: input };
        },
      }),
    },
  });
}

let sequence = 0;
function callOf(db: Db, action: string, input: unknown): AgentCall {
  sequence += 1;
  return {
    db,
    agent: AGENT,
    action,
    input,
    idempotencyKey: `test:${sequence}`,
    attempt: 1,
    taskId: `${sequence}.1`,
    timeoutMs: 10_000,
    signal: new AbortController().signal,
  };
}

const invoke = (db: Db, action: string, input: unknown): Promise<AgentResult> =>
  gatewayInvoker.invoke(callOf(db, action, input));

function completed(result: AgentResult): Extract<AgentResult, { status: "completed" }> {
  if (result.status !== "completed") throw new Error(`expected completed, got ${result.status}`);
  return result;
}

/** Expired entries go with retention's pass over the table (src/operations/retention/targets.ts). */
async function prunedCacheEntries(db: Db): Promise<number> {
  const [pass] = await runRetention(db, { tables: ["agent_cache_entries"], force: true });
  return pass!.deleted;
}

async function entryCount(db: Db): Promise<number> {
  const [row] = await queryRows<{ n: unknown }>(db, sql`select count(*)::int as n from agent_cache_entries`);
  return Number(row?.n ?? 0);
}

describe("canonical input", () => {
  it("sorts object keys at every depth, keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(inputHashOf({ a: 1, b: 2 })).toBe(inputHashOf({ b: 2, a: 1 }));
    expect(inputHashOf([1, 2])).not.toBe(inputHashOf([2, 1]));
    expect(cacheKeyOf("a", "b", 1, inputHashOf({}))).not.toBe(cacheKeyOf("a", "b", 2, inputHashOf({})));
    expect(cacheKeyOf("a", "b", 1, inputHashOf({}))).toMatch(/^[0-9a-f]{64}$/);
  });
});

describeDb("agent result cache", (suite) => {
  beforeEach(async () => {
    registerCacheAgent(1);
    calls.square = calls.slow = calls.refuse = calls.plain = 0;
    await flushMetrics(suite.db());
    await suite.db().execute(sql`delete from agent_cache_entries`);
    await suite.db().execute(sql`delete from metric_points`);
  });

  it("calls the agent on a miss, then serves the same input without calling it", async () => {
    const db = suite.db();
    const first = completed(await invoke(db, "square", { n: 7 }));
    expect(first.output).toEqual({ square: 49, keys: ["n"], version: 1 });
    expect(first.cached).toBeUndefined();
    expect(calls.square).toBe(1);

    const second = completed(await invoke(db, "square", { n: 7 }));
    expect(calls.square).toBe(1);
    expect(second.output).toEqual(first.output);
    expect(second.cached?.key).toBe(cacheKeyOf(AGENT, "square", 1, inputHashOf({ n: 7 })));
    expect(Number.isNaN(Date.parse(second.cached!.storedAt))).toBe(false);

    // Another input is another entry; a non-cacheable action is always called.
    completed(await invoke(db, "square", { n: 8 }));
    expect(calls.square).toBe(2);
    await invoke(db, "plain", { n: 1 });
    await invoke(db, "plain", { n: 1 });
    expect(calls.plain).toBe(2);
    expect(await entryCount(db)).toBe(2);
    // The input itself is never stored, only its hash.
    const [row] = await queryRows<{ input_hash: string }>(
      db,
      sql`select input_hash from agent_cache_entries where key = ${second.cached!.key}`,
    );
    expect(row?.input_hash).toBe(inputHashOf({ n: 7 }));
  });

  it("serves an input whose keys come in another order", async () => {
    const db = suite.db();
    completed(await invoke(db, "square", { n: 3, extra: { b: 2, a: 1 } }));
    const hit = completed(await invoke(db, "square", { extra: { a: 1, b: 2 }, n: 3 }));
    expect(calls.square).toBe(1);
    expect(hit.cached).toBeDefined();
    expect(hit.output).toEqual({ square: 9, keys: ["extra", "n"], version: 1 });
  });

  it("does not serve an expired entry, and the prune deletes expired entries only", async () => {
    const db = suite.db();
    completed(await invoke(db, "square", { n: 2 }));
    completed(await invoke(db, "square", { n: 5 }));
    await db.execute(
      sql`update agent_cache_entries set expires_at = now() - interval '1 second' where key = ${cacheKeyOf(AGENT, "square", 1, inputHashOf({ n: 2 }))}`,
    );
    const again = completed(await invoke(db, "square", { n: 2 }));
    expect(again.cached).toBeUndefined();
    expect(calls.square).toBe(3);
    // The miss stored a fresh entry in place of the expired one.
    expect(completed(await invoke(db, "square", { n: 2 })).cached).toBeDefined();
    expect(calls.square).toBe(3);

    await db.execute(sql`update agent_cache_entries set expires_at = now() - interval '1 second'
      where key = ${cacheKeyOf(AGENT, "square", 1, inputHashOf({ n: 5 }))}`);
    expect(await prunedCacheEntries(db)).toBe(1);
    expect(await entryCount(db)).toBe(1);
    expect(await prunedCacheEntries(db)).toBe(0);
  });

  it("misses when the action's version changes, and the old version's entries stay its own", async () => {
    const db = suite.db();
    completed(await invoke(db, "square", { n: 4 }));
    registerCacheAgent(2);
    const v2 = completed(await invoke(db, "square", { n: 4 }));
    expect(v2.cached).toBeUndefined();
    expect(v2.output).toMatchObject({ version: 2 });
    expect(calls.square).toBe(2);
    expect(completed(await invoke(db, "square", { n: 4 })).cached).toBeDefined();
    registerCacheAgent(1);
    const v1 = completed(await invoke(db, "square", { n: 4 }));
    expect(v1.cached).toBeDefined();
    expect(v1.output).toMatchObject({ version: 1 });
    expect(calls.square).toBe(2);
  });

  it("stores only answers: a refusal is asked again", async () => {
    const db = suite.db();
    await expect(invoke(db, "refuse", { x: 1 })).rejects.toThrow("refused");
    await expect(invoke(db, "refuse", { x: 1 })).rejects.toThrow("refused");
    expect(calls.refuse).toBe(2);
    expect(await entryCount(db)).toBe(0);
  });

  it("invalidates by action (every version) and by key", async () => {
    const db = suite.db();
    for (const n of [1, 2, 3]) completed(await invoke(db, "square", { n }));
    completed(await invoke(db, "slow", { s: 1 }));
    registerCacheAgent(2);
    completed(await invoke(db, "square", { n: 1 }));
    expect(await entryCount(db)).toBe(5);

    const key = cacheKeyOf(AGENT, "slow", 2, inputHashOf({ s: 1 }));
    expect(await invalidateCache(db, { key })).toEqual({ deleted: 0 }); // v2 of slow was never stored
    expect(await invalidateCache(db, { key: cacheKeyOf(AGENT, "slow", 1, inputHashOf({ s: 1 })) })).toEqual({
      deleted: 1,
    });
    expect(await invalidateCache(db, { agent: AGENT, action: "square" })).toEqual({ deleted: 4 });
    expect(await entryCount(db)).toBe(0);
    await expect(invalidateCache(db, { agent: AGENT, action: "nope" })).rejects.toBeInstanceOf(NotFoundError);

    const before = calls.square;
    expect(completed(await invoke(db, "square", { n: 1 })).cached).toBeUndefined();
    expect(calls.square).toBe(before + 1);
  });

  it("concurrent misses of one input all answer, and leave one sound entry", async () => {
    const db = suite.db();
    slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
    const input = { job: "same", list: [1, 2, 3] };
    const pending = Array.from({ length: 6 }, () => invoke(db, "slow", input));
    // Every call missed and reached the agent before any stored its answer.
    for (let i = 0; i < 200 && calls.slow < 6; i++) await new Promise((r) => setTimeout(r, 10));
    expect(calls.slow).toBe(6);
    releaseSlow();
    const results = (await Promise.all(pending)).map(completed);
    for (const r of results) expect(r.output).toEqual({ echoed: input });
    const rows = await queryRows<{ output: unknown; agent: string; action: string; version: number }>(
      db,
      sql`select output, agent, action, version from agent_cache_entries`,
    );
    expect(rows).toEqual([{ output: { echoed: input }, agent: AGENT, action: "slow", version: 1 }]);
    expect(completed(await invoke(db, "slow", { list: [1, 2, 3], job: "same" })).cached).toBeDefined();
    expect(calls.slow).toBe(6);
  });

  it("counts hits and misses per action", async () => {
    const db = suite.db();
    completed(await invoke(db, "square", { n: 1 })); // miss
    for (let i = 0; i < 3; i++) completed(await invoke(db, "square", { n: 1 })); // 3 hits
    completed(await invoke(db, "slow", { s: 2 })); // miss
    await invoke(db, "plain", {}); // not counted
    const stats = await cacheStats(db, { windowMs: 3_600_000, agent: AGENT });
    const square = stats.find((s) => s.action === "square")!;
    expect(square).toMatchObject({
      cacheable: true,
      ttlMs: 60_000,
      version: 1,
      lookups: 4,
      hits: 3,
      misses: 1,
      hitRate: 0.75,
      missRate: 0.25,
      entries: 1,
    });
    expect(square.hitP50Ms).not.toBeNull();
    expect(stats.find((s) => s.action === "slow")).toMatchObject({ lookups: 1, hits: 0, misses: 1, missRate: 1 });
    expect(stats.find((s) => s.action === "refuse")).toMatchObject({ lookups: 0, hitRate: null });
    expect(stats.some((s) => s.action === "plain")).toBe(false);
  });

  it("a workflow's step served from the cache records the hit", async () => {
    const db = suite.db();
    await register(
      db,
      `
name: cache_flow
steps:
  - name: compute
    agent: ${AGENT}
    action: square
    input:
      n: "{{ input.n }}"
`,
    );
    const first = await finishRun(db, { workflow: "cache_flow", input: { n: 12 } });
    expect(first.status).toBe("succeeded");
    expect(stepOf(first, "compute").progress).toBeNull();
    expect(calls.square).toBe(1);

    const second = await finishRun(db, { workflow: "cache_flow", input: { n: 12 } });
    expect(second.status).toBe("succeeded");
    expect(calls.square).toBe(1);
    const step = stepOf(second, "compute");
    expect(step.output).toEqual(stepOf(first, "compute").output);
    expect(step.progress).toMatchObject({
      cache: "hit",
      key: cacheKeyOf(AGENT, "square", 1, inputHashOf({ n: 12 })),
      attempt: 1,
    });
  });
});
