/**
 * Fencing: an attempt whose lease expired may still answer, late. Its completion presents an
 * old fencing token and must change nothing: not the newer attempt's result, not the step's
 * state, not the event log (an `emit`), and it is recorded as a `discarded` attempt.
 *
 * The attempts are driven by hand (claimSteps, sweepExpiredLeases, completeStep) so that the
 * interleaving is exact; the lease is expired by moving `lease_expires_at` into the past.
 */
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { queryRows, type Db } from "@/db/client";
import { completeItemsBatch, completeStep, type RetryPolicy } from "@/engine/complete";
import { executeStep, type RunContext, type StepResult } from "@/engine/execute";
import { cancelRun, getRun } from "@/engine/runs";
import { claimSteps, type ClaimedStep } from "@/engine/sql/claim";
import { startRun } from "@/engine/start-run";
import { RetryableError } from "@/step-errors";
import { sweepExpiredLeases } from "@/engine/sweep";
import { loadRunContexts } from "@/engine/tick";
import { describeDb } from "../helpers/db";
import { register, stepOf } from "../helpers/engine";

const RETRY: RetryPolicy = { backoff: "fixed", initialIntervalMs: 10, maxIntervalMs: 10 };

/** Claims the ready step of `runId` (retrying briefly: a requeued step waits out its backoff). */
async function claimOne(db: Db, runId: string): Promise<ClaimedStep> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const claimed = await claimSteps(db, { limit: 10, maxTimeoutMs: 60_000, leaseGraceMs: 5_000 });
    const mine = claimed.filter((c) => c.runId === runId);
    expect(claimed).toEqual(mine); // nothing else is ready in this file's database
    if (mine.length === 1) return mine[0]!;
    expect(mine).toHaveLength(0);
    if (Date.now() > deadline) throw new Error(`no step of run ${runId} became claimable`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The attempt's lease runs out (as if its worker hung), and a sweep puts the step back in the queue. */
async function expireAndSweep(db: Db, step: ClaimedStep): Promise<void> {
  await db.execute(sql`update steps set lease_expires_at = now() - interval '1 second' where id = ${step.id}`);
  expect(await sweepExpiredLeases(db)).toBe(1);
}

async function context(db: Db, runId: string): Promise<RunContext> {
  const ctx = (await loadRunContexts(db, [runId])).get(runId);
  if (!ctx) throw new Error(`no run ${runId}`);
  return ctx;
}

/** Records an attempt's result as a tick would (no continuation) and returns the outcome. */
async function complete(db: Db, runId: string, step: ClaimedStep, result: StepResult): Promise<string> {
  return (await completeStep(db, await context(db, runId), step, result, RETRY)).outcome;
}

async function stepRow(db: Db, id: number) {
  const [row] = await queryRows<{
    status: string;
    output: unknown;
    fence: unknown;
    attempts: unknown;
    lease_expires_at: unknown;
  }>(db, sql`select status, output, fence, attempts, lease_expires_at from steps where id = ${id}`);
  return {
    status: row!.status,
    output: row!.output,
    fence: Number(row!.fence),
    attempts: Number(row!.attempts),
    leased: row!.lease_expires_at !== null,
  };
}

async function attemptsOf(db: Db, stepId: number) {
  const rows = await queryRows<{ attempt: unknown; fence: unknown; outcome: string }>(
    db,
    sql`select attempt, fence, outcome from step_attempts where step_id = ${stepId} order by id`,
  );
  return rows.map((r) => ({ attempt: Number(r.attempt), fence: Number(r.fence), outcome: r.outcome }));
}

describeDb("engine fencing", (suite) => {
  it("a late answer from a timed-out attempt does not overwrite the newer attempt's result, and is recorded as discarded", async () => {
    const db = suite.db();
    // The URL is never called: the test hands completeStep the attempts' results itself.
    await register(
      db,
      `
name: fenced_call
steps:
  - name: call
    http: { url: "https://example.com/never-called" }
    timeout: 1s
    retry: { max_attempts: 3, initial_interval: 10ms, max_interval: 10ms }
`,
    );
    const { id: runId } = await startRun(db, { workflow: "fenced_call" });

    const first = await claimOne(db, runId);
    expect(first).toMatchObject({ name: "call", attempt: 1 });
    await expireAndSweep(db, first);
    expect(await stepRow(db, first.id)).toMatchObject({ status: "queued", leased: false });

    // The first attempt answers after the sweep, before anyone claimed the step again: discarded.
    expect(await complete(db, runId, first, { type: "succeeded", output: "A-early" })).toBe("discarded");
    expect(await stepRow(db, first.id)).toMatchObject({ status: "queued", output: null });

    const second = await claimOne(db, runId);
    expect(second).toMatchObject({ id: first.id, attempt: 2 });
    expect(second.fence).toBeGreaterThan(first.fence);

    // While the second attempt runs, the first answers again (a retry of its own request): discarded,
    // and the second attempt keeps its lease.
    expect(await complete(db, runId, first, { type: "succeeded", output: "A" })).toBe("discarded");
    expect(await stepRow(db, first.id)).toMatchObject({
      status: "running",
      fence: second.fence,
      attempts: 2,
      leased: true,
      output: null,
    });

    expect(await complete(db, runId, second, { type: "succeeded", output: "B" })).toBe("succeeded");

    // The late answer after the newer attempt succeeded: a success or a failure, both discarded.
    expect(await complete(db, runId, first, { type: "succeeded", output: "A" })).toBe("discarded");
    expect(await complete(db, runId, first, { type: "failed", error: new RetryableError("late 503") })).toBe(
      "discarded",
    );

    expect(await stepRow(db, first.id)).toMatchObject({
      status: "succeeded",
      output: "B",
      fence: second.fence,
      attempts: 2,
      leased: false,
    });
    const run = await getRun(db, runId);
    expect(run.status).toBe("succeeded");
    expect(run.output).toEqual({ call: "B" });
    expect(stepOf(run, "call").error).toBeNull();
    expect(await attemptsOf(db, first.id)).toEqual([
      { attempt: 1, fence: first.fence, outcome: "lease_expired" },
      { attempt: 1, fence: first.fence, outcome: "discarded" },
      { attempt: 1, fence: first.fence, outcome: "discarded" },
      { attempt: 2, fence: second.fence, outcome: "succeeded" },
      { attempt: 1, fence: first.fence, outcome: "discarded" },
      { attempt: 1, fence: first.fence, outcome: "discarded" },
    ]);
    const [remaining] = await queryRows<{ steps_remaining: unknown }>(
      db,
      sql`select steps_remaining from runs where id = ${runId}`,
    );
    expect(Number(remaining!.steps_remaining)).toBe(0); // the late answers settled nothing twice
  });

  it("an emit step's late completion publishes no event and starts no triggered run", async () => {
    const db = suite.db();
    await register(
      db,
      `
name: fenced_emit
steps:
  - name: announce
    emit: { topic: "fencing.announced", data: { run: "{{ run.id }}" } }
    retry: { max_attempts: 3, initial_interval: 10ms, max_interval: 10ms }
`,
    );
    await register(
      db,
      `
name: on_announce
trigger: { event: "fencing.announced" }
steps:
  - name: noted
    sleep: 1h
`,
    );
    const { id: runId } = await startRun(db, { workflow: "fenced_emit" });
    const eventCount = async () => {
      const [row] = await queryRows<{ n: unknown }>(
        db,
        sql`select count(*)::int as n from events where topic = 'fencing.announced'`,
      );
      return Number(row!.n);
    };
    const triggeredRuns = async () => {
      const [row] = await queryRows<{ n: unknown }>(
        db,
        sql`select count(*)::int as n from runs where workflow = 'on_announce'`,
      );
      return Number(row!.n);
    };

    const first = await claimOne(db, runId);
    const lateResult = await executeStep(db, await context(db, runId), first);
    expect(lateResult).toMatchObject({ type: "succeeded", emit: { topic: "fencing.announced", data: { run: runId } } });
    await expireAndSweep(db, first);
    const second = await claimOne(db, runId);

    // The stale attempt completes while the newer one runs: no event, no run.
    expect(await complete(db, runId, first, lateResult)).toBe("discarded");
    expect(await eventCount()).toBe(0);
    expect(await triggeredRuns()).toBe(0);

    expect(await complete(db, runId, second, await executeStep(db, await context(db, runId), second))).toBe(
      "succeeded",
    );
    expect(await eventCount()).toBe(1);
    expect(await triggeredRuns()).toBe(1);

    // And after it: still one event, one triggered run, and the step's output is that event.
    expect(await complete(db, runId, first, lateResult)).toBe("discarded");
    expect(await eventCount()).toBe(1);
    expect(await triggeredRuns()).toBe(1);
    const [event] = await queryRows<{ id: unknown }>(db, sql`select id from events where topic = 'fencing.announced'`);
    const run = await getRun(db, runId);
    expect(run.status).toBe("succeeded");
    expect(stepOf(run, "announce").output).toMatchObject({
      id: Number(event!.id),
      topic: "fencing.announced",
      duplicate: false,
    });
    expect((await attemptsOf(db, first.id)).map((a) => [a.attempt, a.outcome])).toEqual([
      [1, "lease_expired"],
      [1, "discarded"],
      [2, "succeeded"],
      [1, "discarded"],
    ]);
    // Leave nothing ready for the next test.
    const [triggered] = await queryRows<{ id: string }>(db, sql`select id from runs where workflow = 'on_announce'`);
    await cancelRun(db, triggered!.id);
  });

  it("a late answer from a timed-out for_each item is discarded by the batched item completion, and the parent's output is the newer one", async () => {
    const db = suite.db();
    await register(
      db,
      `
name: fenced_items
steps:
  - name: fan
    for_each: "{{ input.items }}"
    http: { url: "https://example.com/never-called/{{ item }}" }
    timeout: 1s
    retry: { max_attempts: 3, initial_interval: 10ms, max_interval: 10ms }
`,
    );
    const { id: runId } = await startRun(db, { workflow: "fenced_items", input: { items: ["a", "b"] } });
    const parent = await claimOne(db, runId);
    expect(await complete(db, runId, parent, await executeStep(db, await context(db, runId), parent))).toBe("expanded");

    const claimed = await claimSteps(db, { limit: 10, maxTimeoutMs: 60_000, leaseGraceMs: 5_000 });
    expect(claimed.map((c) => [c.runId, c.name, c.itemIndex]).sort()).toEqual([
      [runId, "fan", 0],
      [runId, "fan", 1],
    ]);
    const stale = claimed.find((c) => c.itemIndex === 0)!;
    const other = claimed.find((c) => c.itemIndex === 1)!;
    await expireAndSweep(db, stale);
    const fresh = await claimOne(db, runId);
    expect(fresh).toMatchObject({ id: stale.id, itemIndex: 0, attempt: 2 });

    const item = (step: ClaimedStep, output: unknown) => ({ step, output, input: null, finishedAt: new Date() });
    const outcomes = async (items: ReturnType<typeof item>[]) =>
      (await completeItemsBatch(db, await context(db, runId), "fan", items)).map((c) => c.outcome).sort();

    // The stale item answers in the same batch as a live one: only the live one counts.
    expect(await outcomes([item(stale, "stale"), item(other, "B1")])).toEqual(["discarded", "succeeded"]);
    expect(await stepRow(db, stale.id)).toMatchObject({ status: "running", fence: fresh.fence, output: null });
    expect(await outcomes([item(fresh, "B0")])).toEqual(["succeeded"]);
    // And once more, after the parent finished.
    expect(await outcomes([item(stale, "stale")])).toEqual(["discarded"]);

    const run = await getRun(db, runId);
    expect(run.status).toBe("succeeded");
    expect(stepOf(run, "fan").output).toEqual(["B0", "B1"]);
    expect(stepOf(run, "fan").items?.map((i) => [i.status, i.output])).toEqual([
      ["succeeded", "B0"],
      ["succeeded", "B1"],
    ]);
    expect((await attemptsOf(db, stale.id)).map((a) => [a.attempt, a.outcome])).toEqual([
      [1, "lease_expired"],
      [1, "discarded"],
      [2, "succeeded"],
      [1, "discarded"],
    ]);
    const [parentRow] = await queryRows<{ items_remaining: unknown }>(
      db,
      sql`select items_remaining from steps where id = ${parent.id}`,
    );
    expect(Number(parentRow!.items_remaining)).toBe(0); // the late answers decremented nothing
  });

  it("a sweep and a completion racing for the same expired attempt: exactly one of them wins", async () => {
    const db = suite.db();
    const { id: runId } = await startRun(db, { workflow: "fenced_call" });
    const attempt = await claimOne(db, runId);
    await db.execute(sql`update steps set lease_expires_at = now() - interval '1 second' where id = ${attempt.id}`);
    const [swept, outcome] = await Promise.all([
      sweepExpiredLeases(db),
      complete(db, runId, attempt, { type: "succeeded", output: "late" }),
    ]);
    const row = await stepRow(db, attempt.id);
    const outcomes = (await attemptsOf(db, attempt.id)).map((a) => a.outcome);
    if (outcome === "succeeded") {
      // The completion got there first: the sweep found nothing to expire.
      expect(swept).toBe(0);
      expect(row).toMatchObject({ status: "succeeded", output: "late" });
      expect(outcomes).toEqual(["succeeded"]);
    } else {
      expect(outcome).toBe("discarded");
      expect(swept).toBe(1);
      expect(row).toMatchObject({ status: "queued", output: null });
      expect(outcomes).toEqual(["lease_expired", "discarded"]);
      // Finish the run so nothing is left ready for the other tests.
      const again = await claimOne(db, runId);
      expect(await complete(db, runId, again, { type: "succeeded", output: "again" })).toBe("succeeded");
    }
    expect((await getRun(db, runId)).status).toBe("succeeded");
  });
});
