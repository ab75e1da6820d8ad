/**
 * `npx tsx bench/gateway-tuning.ts`: what the gateway's tuning (issue 17) costs, on a real
 * Postgres (BENCH_DATABASE_URL, default the local server; a fresh database `bench_gateway_tuning`
 * each time), through the real gateway invoker with the inline transport:
 * - a call of an action that does nothing: unthrottled vs throttled (AGENT_CONCURRENCY; the
 *   difference is the lease's acquire and release, two statements), and static vs adaptive
 *   timeout (a learned value read from the in-process memo, and the timer around the call);
 * - the lease alone (acquire + release), one at a time and with 8 callers in flight;
 * - the chores over 100,000 call records: recomputing the adaptive timeouts, one AIMD adjustment.
 * BENCH_TUNING_N calls per measure (default 1000). Prints one JSON line per measure.
 */
import { sql } from "drizzle-orm";
import { z } from "zod";
import { registerAgent } from "@/agents/catalog";
import { defineAction } from "@/agents/framework";
import { gatewayInvoker } from "@/agents/gateway";
import { recomputeAdaptiveTimeouts } from "@/agents/gateway/adaptive-timeout";
import { acquireSlot, adjustThrottles } from "@/agents/gateway/throttle";
import { openDb, setDbHandle, type Db } from "@/db/client";
import { migrate } from "@/db/migrate";
import { ensureWired } from "@/runtime/wire";
import { freshDatabase } from "./database";

const N = Number(process.env.BENCH_TUNING_N ?? 1000);

const round = (ms: number) => Math.round(ms * 1000) / 1000;

function summary(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    calls: sorted.length,
    medianMs: round(sorted[Math.floor(sorted.length / 2)]!),
    p95Ms: round(sorted[Math.floor(sorted.length * 0.95)]!),
  };
}

let sequence = 0;
async function timedCall(db: Db, agent: string, action: string): Promise<number> {
  sequence += 1;
  const started = performance.now();
  const result = await gatewayInvoker.invoke({
    db,
    agent,
    action,
    input: {},
    idempotencyKey: `bench:${sequence}`,
    attempt: 1,
    taskId: `${sequence}.1`,
    timeoutMs: 5_000,
    signal: new AbortController().signal,
  });
  if (result.status !== "completed") throw new Error(`unexpected ${result.status}`);
  return performance.now() - started;
}

async function calls(db: Db, agent: string, action: string): Promise<number[]> {
  for (let i = 0; i < 50; i++) await timedCall(db, agent, action); // warm-up
  const times: number[] = [];
  for (let i = 0; i < N; i++) times.push(await timedCall(db, agent, action));
  return times;
}

async function main(): Promise<void> {
  const handle = await openDb(await freshDatabase("bench_gateway_tuning"), "pg");
  setDbHandle(handle);
  const db = handle.db;
  await migrate(db);
  await ensureWired();
  const noop = { input: z.unknown(), output: z.unknown(), timeoutMs: 5_000, handler: async () => ({ ok: true }) };
  registerAgent({
    name: "bench",
    description: "Does nothing.",
    actions: {
      fixed: defineAction({ description: "static timeout", ...noop }),
      adaptive: defineAction({ description: "adaptive timeout", ...noop, adaptiveTimeout: { floorMs: 1_000 } }),
    },
  });
  const print = (measure: string, data: object) => console.log(JSON.stringify({ measure, ...data }));

  delete process.env.AGENT_CONCURRENCY;
  const plain = summary(await calls(db, "bench", "fixed"));
  print("call, unthrottled, static timeout", plain);
  process.env.AGENT_CONCURRENCY = "bench=8";
  const throttled = summary(await calls(db, "bench", "fixed"));
  print("call, throttled (lease acquire + release)", {
    ...throttled,
    overheadMedianMs: round(throttled.medianMs - plain.medianMs),
  });
  delete process.env.AGENT_CONCURRENCY;
  await recomputeAdaptiveTimeouts(db, { minSamples: 20 }); // learns from the calls just made
  const adaptive = summary(await calls(db, "bench", "adaptive"));
  print("call, adaptive timeout (learned, memo)", {
    ...adaptive,
    overheadMedianMs: round(adaptive.medianMs - plain.medianMs),
  });

  process.env.AGENT_CONCURRENCY = "lease=8";
  const lease: number[] = [];
  for (let i = 0; i < N; i++) {
    const started = performance.now();
    const l = await acquireSlot(db, "lease", 5_000);
    if (!l.ok) throw new Error("no slot");
    await l.release();
    lease.push(performance.now() - started);
  }
  print("lease acquire + release, one at a time", summary(lease));
  // For scale: one single-row UPDATE in its own transaction (what a lease's release is).
  const update: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await db.execute(sql`update agent_throttles set updated_at = updated_at where agent = 'lease'`);
    update.push(performance.now() - t);
  }
  print("reference: one single-row UPDATE, autocommit", summary(update));
  let refused = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = 0; i < N / 8; i++) {
        const l = await acquireSlot(db, "lease", 5_000);
        if (l.ok) await l.release();
        else refused += 1;
      }
    }),
  );
  const elapsed = performance.now() - started;
  print("lease acquire + release, 8 in flight", { leases: N, perSecond: Math.round((N / elapsed) * 1000), refused });

  await db.execute(sql`insert into agent_calls (agent, action, outcome, duration_ms, at)
    select 'bench', case when g % 2 = 0 then 'adaptive' else 'fixed' end, 'succeeded', (g % 97) + 1,
      now() - (g % 3600) * interval '1 second'
    from generate_series(1, 100000) g`);
  await db.execute(sql`analyze agent_calls`);
  process.env.AGENT_CONCURRENCY = "bench=8";
  const chores = { recompute: [] as number[], adjust: [] as number[] };
  for (let i = 0; i < 10; i++) {
    let t = performance.now();
    await recomputeAdaptiveTimeouts(db);
    chores.recompute.push(performance.now() - t);
    t = performance.now();
    await adjustThrottles(db, { minIntervalMs: 0 });
    chores.adjust.push(performance.now() - t);
  }
  print("chore: recompute adaptive timeouts, 100k call records (50k of the action)", summary(chores.recompute));
  print("chore: one AIMD adjustment, 100k call records of the agent", summary(chores.adjust));
  await handle.close();
}

void main();
