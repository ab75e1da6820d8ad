/**
 * `npm run bench:cache`: the agents' result cache (src/agents/gateway/cache.ts) on a real
 * Postgres (BENCH_DATABASE_URL, default the local server; a fresh database `bench_cache` each
 * time), through the real gateway invoker with the inline transport.
 *
 * The table first holds 100,000 live entries of another action (seeded in SQL), so a lookup is
 * an index probe into a realistic table, not into an empty one. Then, for the shipped cacheable
 * action design-ia/generate_design:
 * - miss: BENCH_CACHE_N (default 500) distinct briefs, each a lookup that misses, the agent's real
 *   work, the breaker's bookkeeping and the store (upsert);
 * - hit: the same briefs again, each answered from the cache (the lookup and its metric point);
 * - hit, 8 at a time: the same again with 8 calls in flight (throughput per second);
 * and the same miss/hit pair for a synthetic action answering 50 KB of JSON (the stored
 * output's size is what a hit reads back).
 * Prints one JSON line per measure: median, p95, max in ms (and calls/s for the concurrent one).
 */
import { sql } from "drizzle-orm";
import { z } from "zod";
import { registerAgent } from "@/agents/catalog";
import { defineAction } from "@/agents/framework";
import { gatewayInvoker } from "@/agents/gateway";
import { openDb, setDbHandle, type Db } from "@/db/client";
import { migrate } from "@/db/migrate";
import type { AgentResult } from "@/engine/kinds/agent";
import { flushMetrics } from "@/observability/metrics/record";
import { ensureWired } from "@/runtime/wire";
import { freshDatabase } from "./database";

const N = Number(process.env.BENCH_CACHE_N ?? 500);

const round = (ms: number) => Math.round(ms * 1000) / 1000;

function summary(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    calls: sorted.length,
    medianMs: round(sorted[Math.floor(sorted.length / 2)]!),
    p95Ms: round(sorted[Math.floor(sorted.length * 0.95)]!),
    maxMs: round(sorted[sorted.length - 1]!),
  };
}

let sequence = 0;
function invoke(db: Db, agent: string, action: string, input: unknown): Promise<AgentResult> {
  sequence += 1;
  return gatewayInvoker.invoke({
    db,
    agent,
    action,
    input,
    idempotencyKey: `bench:${sequence}`,
    attempt: 1,
    taskId: `${sequence}.1`,
    timeoutMs: 30_000,
    signal: new AbortController().signal,
  });
}

function brief(i: number) {
  return {
    businessName: `Bench Bistro ${i}`,
    slug: `bench-bistro-${i}`,
    industry: "restaurant",
    industryFamily: "restaurant",
    audience: "people nearby",
    tone: "friendly",
    pages: ["home", "about", "contact"],
    contactEmail: null,
    language: "en",
    brandColor: null,
    tagline: "Good food, close by",
  };
}

/** Times `inputs` one after another; each answer must be a hit (`hit`) or not. */
async function timed(db: Db, agent: string, action: string, inputs: unknown[], hit: boolean): Promise<number[]> {
  const times: number[] = [];
  for (const input of inputs) {
    const started = performance.now();
    const result = await invoke(db, agent, action, input);
    times.push(performance.now() - started);
    if (result.status !== "completed" || (result.cached !== undefined) !== hit)
      throw new Error(
        `${agent}/${action}: expected a ${hit ? "hit" : "miss"}, got ${JSON.stringify(result).slice(0, 200)}`,
      );
  }
  await flushMetrics(db);
  return times;
}

async function main(): Promise<void> {
  process.env.AGENT_TRANSPORT = "inline";
  process.env.LOG_LEVEL = "warn";
  const url = await freshDatabase("bench_cache");
  const handle = await openDb(url, "pg");
  setDbHandle(handle);
  const db = handle.db;
  await migrate(db);
  await ensureWired();
  const big = "x".repeat(50 * 1024);
  registerAgent({
    name: "benchcache",
    description: "The cache bench's agent.",
    actions: {
      large: defineAction({
        description: "Answers 50 KB of JSON.",
        input: z.unknown(),
        output: z.unknown(),
        cache: { ttlMs: 3_600_000, version: 1 },
        handler: async (input) => ({ input, body: big }),
      }),
    },
  });
  const seeded = performance.now();
  await db.execute(sql`insert into agent_cache_entries (key, agent, action, version, input_hash, output, expires_at)
    select md5(i::text) || md5((i * 7)::text), 'benchcache', 'seeded', 1, md5(i::text), jsonb_build_object('n', i), now() + interval '1 hour'
    from generate_series(1, 100000) as i`);
  await db.execute(sql`analyze agent_cache_entries`);
  console.log(
    JSON.stringify({ setup: { seededEntries: 100_000, seedSeconds: round((performance.now() - seeded) / 1000) } }),
  );

  const briefs = Array.from({ length: N }, (_, i) => ({ brief: brief(i) }));
  // Warm-up (connections, the JIT, the first parse of each module), on inputs not measured.
  await timed(db, "design-ia", "generate_design", [{ brief: brief(-1) }, { brief: brief(-2) }], false);
  await timed(db, "design-ia", "generate_design", [{ brief: brief(-1) }, { brief: brief(-2) }], true);

  const results: Record<string, unknown> = {};
  results["design-ia/generate_design miss"] = summary(await timed(db, "design-ia", "generate_design", briefs, false));
  results["design-ia/generate_design hit"] = summary(await timed(db, "design-ia", "generate_design", briefs, true));

  const inFlight = 8;
  const concurrentTimes: number[] = [];
  const started = performance.now();
  for (let i = 0; i < briefs.length; i += inFlight) {
    await Promise.all(
      briefs.slice(i, i + inFlight).map(async (input) => {
        const t = performance.now();
        const result = await invoke(db, "design-ia", "generate_design", input);
        concurrentTimes.push(performance.now() - t);
        if (result.status !== "completed" || !result.cached) throw new Error("expected a hit");
      }),
    );
  }
  const elapsed = performance.now() - started;
  results[`design-ia/generate_design hit, ${inFlight} in flight`] = {
    ...summary(concurrentTimes),
    callsPerSecond: Math.round((briefs.length / elapsed) * 1000),
  };

  const large = Array.from({ length: Math.min(N, 200) }, (_, i) => ({ i }));
  results["benchcache/large (50 KB) miss"] = summary(await timed(db, "benchcache", "large", large, false));
  results["benchcache/large (50 KB) hit"] = summary(await timed(db, "benchcache", "large", large, true));
  for (const [name, value] of Object.entries(results))
    console.log(JSON.stringify({ measure: name, ...(value as object) }));
  await handle.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
