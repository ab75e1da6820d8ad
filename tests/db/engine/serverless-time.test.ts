/**
 * What a deployment with no resident worker needs from the engine: a wait never misses an event
 * because the tick reached it late, and a tick carries timers due soon instead of leaving them
 * to the next cron (on Vercel's Hobby plan crons run once a day).
 */
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { publishEvent } from "@/engine/events";
import { runRouteTick } from "@/engine/route-tick";
import { getRun } from "@/engine/runs";
import { startRun } from "@/engine/start-run";
import { tick } from "@/engine/tick";
import { describeDb } from "../../helpers/db";
import { register, runUntilDone, stepOf } from "../../helpers/engine";

describeDb("serverless time", (suite) => {
  it("matches a wait with an event published after its run started but before the wait began", async () => {
    await register(
      suite.db(),
      `
name: late_waiter
steps:
  - name: first
    sleep: 50ms
  - name: wait
    depends_on: first
    wait_for_event: { topic: "pay.done", match: "{{ event.data.order == input.order }}", timeout: 1m }
`,
    );
    const { id } = await startRun(suite.db(), { workflow: "late_waiter", input: { order: "A1" } });
    // Published while no tick has reached the wait (the run has not even started its first step).
    await publishEvent(suite.db(), { topic: "pay.done", data: { order: "Z9" }, source: "test" });
    const matching = await publishEvent(suite.db(), { topic: "pay.done", data: { order: "A1" }, source: "test" });
    const run = await runUntilDone(suite.db(), id);
    expect(run.status).toBe("succeeded");
    expect(stepOf(run, "wait").output).toMatchObject({ id: matching.id, data: { order: "A1" } });
  });

  it("gives each wait of a run its own event: one another wait took, or the run's trigger, does not count", async () => {
    await register(
      suite.db(),
      `
name: two_approvals
trigger: { event: "approval" }
steps:
  - name: one
    wait_for_event: { topic: "approval", timeout: 1m }
  - name: two
    depends_on: one
    wait_for_event: { topic: "approval", timeout: 1m }
`,
    );
    const trigger = await publishEvent(suite.db(), { topic: "approval", data: { n: 0 }, source: "test" });
    const runId = trigger.runIds[0]!;
    const first = await publishEvent(suite.db(), { topic: "approval", data: { n: 1 }, source: "test" });
    await tick(suite.db(), { budgetMs: 5_000, alwaysSweep: true });
    let run = await getRun(suite.db(), runId);
    expect(stepOf(run, "one").output).toMatchObject({ id: first.id });
    expect(stepOf(run, "two").status).toBe("waiting");
    const second = await publishEvent(suite.db(), { topic: "approval", data: { n: 2 }, source: "test" });
    run = await runUntilDone(suite.db(), runId);
    expect(run.status).toBe("succeeded");
    expect(stepOf(run, "two").output).toMatchObject({ id: second.id });
  });

  it("loses no event published while waits are parking (publications and parking race)", async () => {
    await register(
      suite.db(),
      `
name: racer
steps:
  - name: wait
    wait_for_event: { topic: "race.go", match: "{{ event.data.key == input.key }}", timeout: 1m }
`,
    );
    const runs = await Promise.all(
      Array.from({ length: 30 }, (_, i) => startRun(suite.db(), { workflow: "racer", input: { key: `k${i}` } })),
    );
    // Ticks park the waits while the events are published, interleaved.
    await Promise.all([
      tick(suite.db(), { budgetMs: 10_000, alwaysSweep: true }),
      tick(suite.db(), { budgetMs: 10_000 }),
      ...runs.map((_, i) => publishEvent(suite.db(), { topic: "race.go", data: { key: `k${i}` }, source: "test" })),
    ]);
    for (const r of runs) expect((await runUntilDone(suite.db(), r.id, 10_000)).status).toBe("succeeded");
  });

  it("restarts a concurrency-keyed run by its idempotency key while the run's own completion holds it, without a deadlock", async ({
    skip,
  }) => {
    if (suite.target !== "postgres") skip(); // two connections at once: real Postgres only
    await register(
      suite.db(),
      `
name: every_ten
concurrency: { key: "sync", limit: 1 }
steps:
  - name: s
    emit: { topic: "every_ten.done" }
`,
    );
    const first = await startRun(suite.db(), {
      workflow: "every_ten",
      idempotencyKey: "cron:2026-12-03T10:00:00.000Z",
    });
    // Seen in the rehearsal: a completion holds the run's row and then takes the admission lock
    // (admitNextRun) while every cron tick starts the same instant again.
    await suite.db().transaction(async (tx) => {
      await tx.execute(sql`update runs set steps_remaining = steps_remaining where id = ${first.id}`);
      const again = await startRun(suite.db(), {
        workflow: "every_ten",
        idempotencyKey: "cron:2026-12-03T10:00:00.000Z",
      });
      expect(again).toEqual({ id: first.id, created: false });
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${"concurrency:every_ten:sync"}))`);
    });
  });

  it("wakes every parked wait when their events on one topic are published at the same moment", async () => {
    await register(
      suite.db(),
      `
name: parked
steps:
  - name: wait
    wait_for_event: { topic: "parked.go", match: "{{ event.data.key == input.key }}", timeout: 1m }
`,
    );
    const runs = await Promise.all(
      Array.from({ length: 12 }, (_, i) => startRun(suite.db(), { workflow: "parked", input: { key: `p${i}` } })),
    );
    await tick(suite.db(), { budgetMs: 10_000, alwaysSweep: true });
    for (const r of runs) expect(stepOf(await getRun(suite.db(), r.id), "wait").status).toBe("waiting");
    await Promise.all(
      runs.map((_, i) => publishEvent(suite.db(), { topic: "parked.go", data: { key: `p${i}` }, source: "test" })),
    );
    // Woken by the publications themselves: no tick, no timeout.
    for (const r of runs) expect((await getRun(suite.db(), r.id)).status).toBe("succeeded");
  });

  it("carries short sleeps inside one route tick instead of leaving them to the next cron", async () => {
    await register(
      suite.db(),
      `
name: naps
steps:
  - name: a
    sleep: 150ms
  - name: b
    depends_on: a
    sleep: 150ms
  - name: c
    depends_on: b
    emit: { topic: "naps.done" }
`,
    );
    const { id } = await startRun(suite.db(), { workflow: "naps" });
    // A tick that does not carry timers parks the first sleep and ends.
    const plain = await tick(suite.db(), { budgetMs: 40_000, alwaysSweep: true });
    expect(plain.nextDueInMs).toBeNull();
    expect((await getRun(suite.db(), id)).status).not.toBe("succeeded");
    // The route's tick waits for each sleep's end and finishes the run in the same call.
    const carried = await tick(suite.db(), { budgetMs: 40_000, alwaysSweep: true, carryTimersMs: 60_000 });
    expect(carried.budgetExhausted).toBe(false);
    expect((await getRun(suite.db(), id)).status).toBe("succeeded");
  });

  it("coalesces kicks beyond TICK_CONCURRENCY into the running route tick, which continues itself afterwards", async () => {
    await register(suite.db(), "name: short_nap\nsteps:\n  - name: a\n    sleep: 300ms\n");
    const { id } = await startRun(suite.db(), { workflow: "short_nap" });
    // One tick per process; timers of the other tests (a 30 s sleep, 1 min waits) out of its reach.
    Object.assign(process.env, { TICK_CONCURRENCY: "1", TICK_CARRY_MS: "2000", TICK_BUDGET_MS: "20000" });
    const continuations: unknown[] = [];
    const later = (work: () => Promise<unknown>) => void continuations.push(work);
    try {
      const running = runRouteTick(suite.db(), "kick", { alwaysSweep: true, later });
      const second = await runRouteTick(suite.db(), "kick", { alwaysSweep: false, later });
      expect(second).toEqual({ coalesced: true });
      const first = await running;
      expect(first).toMatchObject({ budgetExhausted: false });
      expect((await getRun(suite.db(), id)).status).toBe("succeeded"); // the running tick carried the sleep
      expect(continuations).toHaveLength(1); // a kick came while it ran: it hands on once
    } finally {
      for (const name of ["TICK_CONCURRENCY", "TICK_CARRY_MS", "TICK_BUDGET_MS"]) delete process.env[name];
    }
  });

  it("reports a timer beyond its budget instead of waiting past it", async () => {
    await register(suite.db(), "name: long_nap\nsteps:\n  - name: a\n    sleep: 30s\n");
    const { id } = await startRun(suite.db(), { workflow: "long_nap" });
    const started = performance.now();
    const result = await tick(suite.db(), { budgetMs: 1_000, alwaysSweep: true, carryTimersMs: 60_000 });
    expect(performance.now() - started).toBeLessThan(1_000 + 2_000); // bounded by the budget, with slack for a slow machine
    expect(result.nextDueInMs).toBeGreaterThan(20_000);
    expect(result.nextDueInMs).toBeLessThanOrEqual(30_000);
    expect(stepOf(await getRun(suite.db(), id), "a").status).toBe("waiting");
  });
});
