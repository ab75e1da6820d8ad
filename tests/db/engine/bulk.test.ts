/**
 * Bulk starts (`startRuns`) and the set-based settlement of steps nothing depends on
 * (`completeTopLevelBatch` → `settleSinks`): both must behave exactly like their one-at-a-time
 * counterparts: same outputs, same idempotency, same fencing.
 */
import { sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { queryRows, type Db } from "@/db/client";
import { completeTopLevelBatch } from "@/engine/complete";
import { registerInProcessAgent } from "@/agents/catalog";
import { getRun } from "@/engine/runs";
import { claimSteps } from "@/engine/sql/claim";
import { MAX_BULK_RUNS, startRun, startRuns } from "@/engine/start-run";
import { NonRetryableError } from "@/step-errors";
import { sweepExpiredLeases } from "@/engine/sweep";
import { loadRunContexts, tick } from "@/engine/tick";
import { describeDb } from "../../helpers/db";
import { register, runUntilDone, stepOf } from "../../helpers/engine";

beforeAll(() => {
  registerInProcessAgent("bulk", {
    echo: async (input) => input,
    refuse: async () => {
      throw new NonRetryableError("refused by the agent");
    },
  });
});

/** Ticks until no run of `workflow` is left unfinished. */
async function drain(db: Db, workflow: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const [row] = await queryRows<{ n: unknown }>(
      db,
      sql`select count(*)::int as n from runs where workflow = ${workflow} and finished_at is null`,
    );
    if (Number(row?.n) === 0) return;
    if (Date.now() > deadline) throw new Error(`${String(row?.n)} runs of ${workflow} still unfinished`);
    const result = await tick(db, { budgetMs: 60_000, alwaysSweep: true });
    if (result.claimed === 0) await new Promise((r) => setTimeout(r, 10));
  }
}

describeDb("bulk starts and set-based settlement", (suite) => {
  it("starts many runs in one call, in the order given, and each completes with its own output", async () => {
    const db = suite.db();
    await register(
      db,
      "name: bulk_one\nsteps:\n  - name: s\n    agent: bulk\n    action: echo\n    input: { n: '{{ input.n }}' }\n",
    );
    const started = await startRuns(db, {
      workflow: "bulk_one",
      runs: Array.from({ length: 60 }, (_, n) => ({ input: { n } })),
    });
    expect(started).toHaveLength(60);
    expect(started.every((s) => s.created)).toBe(true);
    expect(new Set(started.map((s) => s.id)).size).toBe(60);
    await drain(db, "bulk_one");
    const runs = await Promise.all(started.map((s) => getRun(db, s.id)));
    runs.forEach((run, n) => {
      expect(run.status).toBe("succeeded");
      expect(run.input).toEqual({ n });
      expect(run.output).toEqual({ s: { n } }); // the default output: sinks by name
      expect(stepOf(run, "s").attempts).toBe(1);
    });
    const [attempts] = await queryRows<{ n: unknown }>(
      db,
      sql`select count(*)::int as n from step_attempts a join steps s on s.id = a.step_id join runs r on r.id = s.run_id where r.workflow = 'bulk_one'`,
    );
    expect(Number(attempts?.n)).toBe(60);
  });

  it("returns the existing run for an idempotency key repeated in the list or already stored", async () => {
    const db = suite.db();
    await register(db, "name: bulk_idem\nsteps:\n  - name: s\n    emit: { topic: bulk.idem }\n");
    const stored = await startRun(db, { workflow: "bulk_idem", idempotencyKey: "old" });
    const started = await startRuns(db, {
      workflow: "bulk_idem",
      runs: [
        { idempotencyKey: "a" },
        { idempotencyKey: "old" },
        { idempotencyKey: "a" },
        {},
        { idempotencyKey: "b", priority: "high" },
      ],
    });
    expect(started.map((s) => s.created)).toEqual([true, false, false, true, true]);
    expect(started[1]!.id).toBe(stored.id);
    expect(started[2]!.id).toBe(started[0]!.id);
    expect(new Set(started.map((s) => s.id)).size).toBe(4);
    const [count] = await queryRows<{ n: unknown }>(
      db,
      sql`select count(*)::int as n from runs where workflow = 'bulk_idem'`,
    );
    expect(Number(count?.n)).toBe(4);
    expect((await getRun(db, started[4]!.id)).priority).toBe("high");
    // A second identical call starts nothing.
    const again = await startRuns(db, {
      workflow: "bulk_idem",
      runs: [{ idempotencyKey: "a" }, { idempotencyKey: "b" }],
    });
    expect(again).toEqual([
      { id: started[0]!.id, created: false },
      { id: started[4]!.id, created: false },
    ]);
  });

  it("refuses more than the bulk maximum, and starts nothing for an empty list", async () => {
    const db = suite.db();
    await register(db, "name: bulk_limit\nsteps:\n  - name: s\n    emit: { topic: bulk.limit }\n");
    await expect(
      startRuns(db, { workflow: "bulk_limit", runs: Array.from({ length: MAX_BULK_RUNS + 1 }, () => ({})) }),
    ).rejects.toThrow(RangeError);
    expect(await startRuns(db, { workflow: "bulk_limit", runs: [] })).toEqual([]);
    await expect(startRuns(db, { workflow: "no_such_workflow", runs: [{}] })).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("honours a concurrency key: runs over the limit are held back, as with single starts", async () => {
    const db = suite.db();
    await register(
      db,
      `
name: bulk_limited
concurrency: { key: "{{ input.customer }}", limit: 1 }
steps:
  - name: w
    wait_for_event: { topic: "bulk.release", timeout: 1h }
`,
    );
    const started = await startRuns(db, {
      workflow: "bulk_limited",
      runs: [{ input: { customer: "c1" } }, { input: { customer: "c1" } }, { input: { customer: "c2" } }],
    });
    const statuses = await Promise.all(started.map(async (s) => (await getRun(db, s.id)).status));
    expect(statuses).toEqual(["running", "queued", "running"]);
  });

  it("ends many runs in one batch with their output template, and a failing template fails only its run", async () => {
    const db = suite.db();
    await register(
      db,
      `
name: bulk_template
steps:
  - name: s
    agent: bulk
    action: echo
    input: { n: "{{ input.n }}" }
output: { doubled: "{{ steps.s.output.n }}", label: "run {{ input.n }}" }
`,
    );
    const started = await startRuns(db, { workflow: "bulk_template", runs: [1, 2, 3].map((n) => ({ input: { n } })) });
    await drain(db, "bulk_template");
    for (const [k, s] of started.entries()) {
      const run = await getRun(db, s.id);
      expect(run.status).toBe("succeeded");
      expect(run.output).toEqual({ doubled: k + 1, label: `run ${k + 1}` });
    }
  });

  it("records a superseded attempt of a sink step as discarded and keeps the newer result, within a batch", async () => {
    const db = suite.db();
    await register(db, "name: bulk_fenced\nsteps:\n  - name: s\n    agent: bulk\n    action: echo\n    input: {}\n");
    const [a, b] = await startRuns(db, { workflow: "bulk_fenced", runs: [{}, {}] });
    const first = await claimSteps(db, { limit: 10, maxTimeoutMs: 60_000, leaseGraceMs: 5_000 });
    expect(first.map((c) => c.runId).sort()).toEqual([a!.id, b!.id].sort());
    const oldOfA = first.find((c) => c.runId === a!.id)!;
    const ofB = first.find((c) => c.runId === b!.id)!;
    // A's attempt loses its lease; a newer attempt takes the step.
    await db.execute(sql`update steps set lease_expires_at = now() - interval '1 second' where id = ${oldOfA.id}`);
    expect(await sweepExpiredLeases(db)).toBe(1);
    let newOfA = (await claimSteps(db, { limit: 10, maxTimeoutMs: 60_000, leaseGraceMs: 5_000 }))[0];
    for (let i = 0; !newOfA && i < 200; i++) {
      await new Promise((r) => setTimeout(r, 10));
      newOfA = (await claimSteps(db, { limit: 10, maxTimeoutMs: 60_000, leaseGraceMs: 5_000 }))[0];
    }
    expect(newOfA?.id).toBe(oldOfA.id);
    const contexts = await loadRunContexts(db, [a!.id, b!.id]);
    const now = new Date();
    const done = await completeTopLevelBatch(db, [
      { run: contexts.get(a!.id)!, step: oldOfA, output: { from: "late" }, input: {}, finishedAt: now },
      { run: contexts.get(b!.id)!, step: ofB, output: { from: "b" }, input: {}, finishedAt: now },
    ]);
    expect(done.map((d) => [d.entry.run.id, d.completion.outcome]).sort()).toEqual(
      [
        [a!.id, "discarded"],
        [b!.id, "succeeded"],
      ].sort(),
    );
    expect((await getRun(db, a!.id)).status).toBe("running");
    expect((await getRun(db, b!.id)).output).toEqual({ s: { from: "b" } });
    const [again] = await completeTopLevelBatch(db, [
      {
        run: (await loadRunContexts(db, [a!.id])).get(a!.id)!,
        step: newOfA!,
        output: { from: "new" },
        input: {},
        finishedAt: new Date(),
      },
    ]);
    expect(again!.completion.outcome).toBe("succeeded");
    const runA = await getRun(db, a!.id);
    expect(runA.status).toBe("succeeded");
    expect(runA.output).toEqual({ s: { from: "new" } });
    const outcomes = await queryRows<{ outcome: string }>(
      db,
      sql`select outcome from step_attempts where step_id = ${oldOfA.id} order by id`,
    );
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(["discarded", "lease_expired", "succeeded"]);
  });

  it("a run whose other branch failed still ends failed when its last sink succeeds in a batch", async () => {
    const db = suite.db();
    await register(
      db,
      `
name: bulk_mixed
steps:
  - name: bad
    agent: bulk
    action: refuse
    retry: { max_attempts: 1 }
  - name: good
    agent: bulk
    action: echo
    input: { ok: true }
`,
    );
    const started = await startRuns(db, { workflow: "bulk_mixed", runs: [{}, {}] });
    for (const s of started) {
      const run = await runUntilDone(db, s.id);
      expect(run.status).toBe("failed");
      expect(run.error).toMatchObject({ step: "bad" });
      expect(stepOf(run, "good").status).toBe("succeeded");
    }
  });
});
