/**
 * The gateway's tuning (issue 17): adaptive timeouts learned from the call records (tightening
 * after fast calls, widening after slow ones, within the declared bounds), and the AIMD
 * concurrency limit per agent enforced by leases in Postgres (an agent whose latency rises under
 * load sees its limit fall, no step fails, and the limit recovers).
 */
import { sql } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { registerAgent } from "@/agents/catalog";
import { defineAction, defineAgent } from "@/agents/framework";
import { adaptiveTimeoutsView, callTimeoutMs, recomputeAdaptiveTimeouts } from "@/agents/gateway/adaptive-timeout";
import { gatewayInvoker } from "@/agents/gateway";
import { GET as getTuning } from "@/app/api/system/gateway-tuning/route";
import { createApiKey } from "@/auth/api-keys";
import { gatewayTuningSchema } from "@/dashboard/gateway-tuning";
import { acquireSlot, adjustThrottles, throttlesView } from "@/agents/gateway/throttle";
import { queryRows, type Db } from "@/db/client";
import { toNumber } from "@/db/rows";
import { getRun } from "@/engine/runs";
import { startRuns } from "@/engine/start-run";
import { tick } from "@/engine/tick";
import { measureThrottled, measureTimeoutsAtCeiling } from "@/operations/alerts/gateway-tuning";
import { RetryableError } from "@/step-errors";
import { describeDb } from "../../helpers/db";
import { finishRun, register, stepOf } from "../../helpers/engine";
import { callJson } from "../../helpers/http";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `tuned/work` sleeps `tuned.delayMs`; its timeout is static 5 s, adaptive between 100 ms and 4 s. */
const tuned = { delayMs: 0 };
/** `loaded/work` slows down with the calls in flight: 5 ms up to 2 at once, 40 ms × in flight beyond. */
const loaded = { inFlight: 0, peak: 0, calls: 0 };

beforeAll(() => {
  registerAgent(
    defineAgent({
      name: "tuned",
      description: "An action with an adaptive timeout.",
      actions: {
        work: defineAction({
          description: "Sleeps as long as the test says.",
          input: z.unknown(),
          output: z.unknown(),
          timeoutMs: 5_000,
          adaptiveTimeout: { floorMs: 100, ceilingMs: 4_000, margin: 1.5 },
          handler: async () => {
            await sleep(tuned.delayMs);
            return { ok: true };
          },
        }),
      },
    }),
  );
  registerAgent(
    defineAgent({
      name: "loaded",
      description: "Slower under load.",
      actions: {
        work: defineAction({
          description: "Latency rises with concurrency.",
          input: z.unknown(),
          output: z.unknown(),
          handler: async () => {
            loaded.calls += 1;
            loaded.inFlight += 1;
            loaded.peak = Math.max(loaded.peak, loaded.inFlight);
            try {
              await sleep(loaded.inFlight > 2 ? 40 * loaded.inFlight : 5);
            } finally {
              loaded.inFlight -= 1;
            }
            return { ok: true };
          },
        }),
      },
    }),
  );
});

const ENV_KEYS = ["AGENT_CONCURRENCY", "AGENT_ADAPTIVE_TIMEOUTS", "AGENT_BREAKER_FAILURES", "AGENT_BREAKER_ERROR_RATE"];
afterEach(() => {
  for (const k of ENV_KEYS) delete process.env[k];
});

function call(db: Db, agent: string, n: number, timeoutMs = 5_000) {
  return gatewayInvoker.invoke({
    db,
    agent,
    action: "work",
    input: { n },
    idempotencyKey: `test:${agent}:${n}`,
    attempt: 1,
    taskId: `${n}.1`,
    timeoutMs,
    signal: new AbortController().signal,
  });
}

/** `count` calls of tuned/work at once; how many failed on their timeout. */
async function wave(db: Db, count: number): Promise<number> {
  const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => call(db, "tuned", i)));
  for (const r of results)
    if (r.status === "rejected") {
      expect(r.reason).toBeInstanceOf(RetryableError);
      expect(String(r.reason.message)).toMatch(/adaptive timeout of \d+ ms/);
    }
  // Never deferred: the test keeps the breaker from opening on the cut calls.
  for (const r of results) if (r.status === "fulfilled") expect(r.value.status).toBe("completed");
  return results.filter((r) => r.status === "rejected").length;
}

/** The slow calls have left the window (the buffered records written first, then removed). */
async function clearCalls(db: Db): Promise<void> {
  await gatewayInvoker.flush?.(db);
  await db.execute(sql`delete from agent_calls where agent = 'tuned'`);
}

async function learned(db: Db): Promise<number> {
  await recomputeAdaptiveTimeouts(db);
  return callTimeoutMs({ db, agent: "tuned", action: "work", timeoutMs: 5_000 });
}

describeDb("gateway tuning", (suite) => {
  describe("adaptive timeouts", () => {
    it("tightens after fast calls and widens after slow ones, within the floor and the ceiling", async () => {
      // The cut calls are failures of the agent: keep its breaker closed for this test.
      process.env.AGENT_BREAKER_FAILURES = "1000";
      process.env.AGENT_BREAKER_ERROR_RATE = "1";
      const db = suite.db();
      // Nothing learned yet: the static value.
      expect(await learned(db)).toBe(5_000);

      // Fast calls: p99 × 1.5 is far under the floor, so the timeout tightens to the floor.
      tuned.delayMs = 0;
      for (let i = 0; i < 25; i++) await call(db, "tuned", i);
      const tightened = await learned(db);
      expect(tightened).toBeGreaterThanOrEqual(100);
      expect(tightened).toBeLessThan(1_000);
      // A new attempt of a workflow step gets it: an answer 300 ms past it, fine under the static 5 s, is cut.
      await register(
        db,
        "name: tuned_flow\nsteps:\n  - name: work\n    agent: tuned\n    action: work\n    input: {}\n    retry: { max_attempts: 1 }\n",
      );
      tuned.delayMs = tightened + 300;
      const cut = await finishRun(db, { workflow: "tuned_flow" });
      expect(cut.status).toBe("failed");
      expect(JSON.stringify(stepOf(cut, "work").error)).toMatch(/adaptive timeout of \d+ ms \(static 5000 ms\)/);
      tuned.delayMs = 0;
      // A step that sets its own timeout keeps it; and AGENT_ADAPTIVE_TIMEOUTS=0 turns adapting off.
      expect(await callTimeoutMs({ db, agent: "tuned", action: "work", timeoutMs: 6_000 })).toBe(6_000);
      process.env.AGENT_ADAPTIVE_TIMEOUTS = "0";
      expect(await callTimeoutMs({ db, agent: "tuned", action: "work", timeoutMs: 5_000 })).toBe(5_000);
      delete process.env.AGENT_ADAPTIVE_TIMEOUTS;

      // The agent slows to 300 ms: new calls are cut at 100 ms, each cut recorded as lasting the
      // timeout, so every recomputation widens it by the margin until the calls fit again.
      tuned.delayMs = 300;
      let timeout = tightened;
      const seen = [timeout];
      let fitted = false;
      for (let round = 0; round < 8 && !fitted; round++) {
        const failed = await wave(db, 25);
        const next = await learned(db);
        expect(next).toBeGreaterThanOrEqual(100);
        expect(next).toBeLessThanOrEqual(4_000);
        seen.push(next);
        timeout = next;
        fitted = failed === 0;
      }
      expect(fitted).toBe(true);
      expect(seen[1]).toBeGreaterThan(seen[0]!);
      expect(timeout).toBeGreaterThanOrEqual(450); // a window of 300 ms calls: p99 >= 300 ms, × 1.5

      // Slower than the ceiling allows: pinned at the ceiling (and the built-in alert's measure says so).
      await clearCalls(db);
      await db.execute(sql`insert into agent_calls (agent, action, outcome, duration_ms)
        select 'tuned', 'work', 'succeeded', 3000 + g from generate_series(1, 30) g`);
      expect(await learned(db)).toBe(4_000);
      const view = await adaptiveTimeoutsView(db);
      expect(view.actions.find((a) => a.agent === "tuned")).toMatchObject({
        staticMs: 5_000,
        floorMs: 100,
        ceilingMs: 4_000,
        effectiveMs: 4_000,
        atCeiling: true,
        learned: { timeoutMs: 4_000, samples: 30 },
      });
      const [pinned] = await measureTimeoutsAtCeiling(db, { windowSeconds: 900, filter: { agent: "tuned" } });
      expect(pinned?.subject).toBe("tuned/work");
      expect(pinned?.value).toBeGreaterThanOrEqual(1);

      // The slow calls leave the window and the agent is fast again: back down to the floor.
      await clearCalls(db);
      tuned.delayMs = 0;
      for (let i = 0; i < 25; i++) await call(db, "tuned", i);
      expect(await learned(db)).toBeLessThan(1_000);
      const [relaxed] = await measureTimeoutsAtCeiling(db, { windowSeconds: 900, filter: { agent: "tuned" } });
      expect(relaxed?.value).toBeLessThan(1);
    });
  });

  describe("load-adaptive throttling", () => {
    it("holds the limit with leases across connections, and frees the lease of a call whose process died", async () => {
      process.env.AGENT_CONCURRENCY = "leased=3";
      const db = suite.db();
      const leases = await Promise.all(Array.from({ length: 10 }, () => acquireSlot(db, "leased", 1_000)));
      expect(leases.filter((l) => l.ok)).toHaveLength(3);
      const refused = leases.find((l) => !l.ok);
      expect(refused).toMatchObject({ ok: false, reason: expect.stringMatching(/concurrency limit \(3 of 3/) });
      // A released slot is taken again.
      const first = leases.find((l) => l.ok)!;
      if (first.ok) await first.release();
      expect((await acquireSlot(db, "leased", 1_000)).ok).toBe(true);
      expect((await acquireSlot(db, "leased", 1_000)).ok).toBe(false);
      // The processes holding them die: once their leases expire, the slots are free.
      await db.execute(
        sql`update agent_call_slots set expires_at = now() - interval '1 second' where agent = 'leased'`,
      );
      const after = await Promise.all(Array.from({ length: 5 }, () => acquireSlot(db, "leased", 1_000)));
      expect(after.filter((l) => l.ok)).toHaveLength(3);
      // Its row gone from under the process (a restored database): created again, still enforced.
      await db.execute(sql`delete from agent_call_slots where agent = 'leased'`);
      await db.execute(sql`delete from agent_throttles where agent = 'leased'`);
      const again = await Promise.all(Array.from({ length: 5 }, () => acquireSlot(db, "leased", 1_000)));
      expect(again.filter((l) => l.ok)).toHaveLength(3);
      // An agent not throttled costs nothing and is never refused.
      expect((await acquireSlot(db, "free-agent", 1_000)).ok).toBe(true);
    });

    it("lowers the limit of an agent whose latency rises under load, fails no step, and recovers", async () => {
      process.env.AGENT_CONCURRENCY = "loaded=8";
      const db = suite.db();
      const adjust = () => adjustThrottles(db, { windowMs: 1_000, minIntervalMs: 0 });
      const limit = async () => (await throttlesView(db)).find((t) => t.agent === "loaded")!.concurrency;

      // Its normal band: light load, 5 ms calls, now older than the window.
      for (let i = 0; i < 12; i++) await Promise.all([call(db, "loaded", 2 * i), call(db, "loaded", 2 * i + 1)]);
      await sleep(1_100);
      expect(await adjust()).toEqual([]);
      expect(await limit()).toBe(8);

      // Load: 40 runs at once. Eight calls in flight take 320 ms each, far above the band.
      await register(
        db,
        "name: loaded_flow\nsteps:\n  - name: work\n    agent: loaded\n    action: work\n    input: {}\n    retry: { max_attempts: 1 }\n",
      );
      loaded.peak = 0;
      const runs = await startRuns(db, { workflow: "loaded_flow", runs: Array.from({ length: 40 }, () => ({})) });
      // The adjustments run beside the ticks, as the chore of another instance would.
      const lowest = { value: 8 };
      let loading = true;
      const adjuster = (async () => {
        while (loading) {
          await adjust();
          lowest.value = Math.min(lowest.value, await limit());
          await sleep(100);
        }
      })();
      const deadline = Date.now() + 60_000;
      for (;;) {
        const states = await queryRows<{ status: string }>(
          db,
          sql`select status from runs where workflow = 'loaded_flow'`,
        );
        if (states.every((s) => ["succeeded", "failed", "cancelled"].includes(s.status))) break;
        if (Date.now() > deadline) throw new Error(`runs not done: ${JSON.stringify(states)}`);
        const r = await tick(db, { budgetMs: 60_000, alwaysSweep: true, flushCallRecords: true });
        if (r.claimed === 0) await sleep(20);
      }
      loading = false;
      await adjuster;
      expect(loaded.peak).toBeLessThanOrEqual(8);
      expect(lowest.value).toBeLessThanOrEqual(4);
      for (const { id } of runs) {
        const run = await getRun(db, id);
        expect(run.status).toBe("succeeded");
        expect(run.steps[0]).toMatchObject({ status: "succeeded", attempts: 1 });
      }
      const [throttled] = await measureThrottled(db, "loaded");
      expect(throttled?.subject).toBe("loaded");

      // The load is over: the slow calls leave the window and the limit climbs back, one at a time.
      await sleep(1_100);
      for (let i = 0; i < 10 && (await limit()) < 8; i++) await adjust();
      expect(await limit()).toBe(8);
      const changes = await queryRows<{ from_limit: unknown; to_limit: unknown; reason: string }>(
        db,
        sql`select from_limit, to_limit, reason from agent_throttle_changes where agent = 'loaded' order by id`,
      );
      const decreases = changes.filter((c) => toNumber(c.to_limit) < toNumber(c.from_limit));
      expect(decreases.length).toBeGreaterThanOrEqual(1);
      expect(decreases[0]).toMatchObject({
        from_limit: expect.anything(),
        reason: expect.stringMatching(/^decrease: median latency/),
      });
      expect(toNumber(decreases[0]!.to_limit)).toBe(Math.floor(toNumber(decreases[0]!.from_limit) / 2));
      const last = changes.at(-1)!;
      expect(last.reason).toMatch(/^increase/);
      expect(toNumber(last.to_limit)).toBe(8);
      const view = (await throttlesView(db)).find((t) => t.agent === "loaded")!;
      expect(view).toMatchObject({ concurrency: 8, maxConcurrency: 8, configured: true, inFlight: 0 });
      expect(view.changes.length).toBeGreaterThan(0);
    });
  });

  describe("the dashboard's read", () => {
    it("shows viewers and operators each adaptive action beside its static value and each agent's limit with its changes", async () => {
      process.env.AGENT_CONCURRENCY = "loaded=8,leased=3";
      const db = suite.db();
      const operator = (await createApiKey(db, { name: "tuning operator", role: "operator" })).key;
      const viewer = (await createApiKey(db, { name: "tuning viewer", role: "viewer" })).key;
      expect((await callJson(getTuning, "/api/system/gateway-tuning", { key: viewer })).status).toBe(200);
      expect((await callJson(getTuning, "/api/system/gateway-tuning")).status).toBe(401);
      const res = await callJson(getTuning, "/api/system/gateway-tuning", { key: operator });
      expect(res.status).toBe(200);
      const body = gatewayTuningSchema.parse(res.body);
      expect(body.adaptiveTimeouts.enabled).toBe(true);
      expect(body.adaptiveTimeouts.actions.find((a) => a.agent === "tuned")).toMatchObject({
        action: "work",
        staticMs: 5_000,
        floorMs: 100,
        ceilingMs: 4_000,
      });
      const loadedView = body.throttles.find((t) => t.agent === "loaded");
      expect(loadedView).toMatchObject({ concurrency: 8, maxConcurrency: 8, configured: true });
      expect(loadedView?.changes[0]?.reason).toMatch(/^increase/);
    });
  });
});
