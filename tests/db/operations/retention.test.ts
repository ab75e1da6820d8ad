/**
 * Retention on a real database (PGlite and Postgres): what each table keeps and prunes, the
 * bounds of a pass, the progress it records (and the API that reads it), and the alert when a
 * table falls behind. Rows are written with old timestamps directly: nothing here waits.
 */
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApiKey } from "@/auth/api-keys";
import { queryRows, type Db } from "@/db/client";
import { evaluateAlerts } from "@/operations/alerts/evaluate";
import { retentionChore, runRetention } from "@/operations/retention/prune";
import { retentionStatus } from "@/operations/retention/status";
import { GET as getRetention } from "@/app/api/system/retention/route";
import { retentionStatusSchema } from "@/dashboard/retention";
import { describeDb } from "../../helpers/db";
import { callJson } from "../../helpers/http";

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

interface SeededRun {
  id: string;
  steps: number[];
}

/** A run with `steps` steps of `attempts` attempts each, created and (when final) finished `days` ago. */
async function seedRun(
  db: Db,
  status: string,
  days: number,
  options: { steps?: number; attempts?: number; finishedDays?: number } = {},
): Promise<SeededRun> {
  const id = randomUUID();
  const final = ["succeeded", "failed", "cancelled"].includes(status);
  const finished = final ? ago(options.finishedDays ?? days) : null;
  await db.execute(sql`insert into runs (id, workflow, version, status, trigger, steps_remaining, created_at, started_at, finished_at)
    values (${id}, 'retention_test', 1, ${status}, '{"type":"manual"}'::jsonb, ${final ? 0 : 1}, ${ago(days)}::timestamptz,
            ${ago(days)}::timestamptz, ${finished}::timestamptz)`);
  const steps: number[] = [];
  for (let s = 0; s < (options.steps ?? 2); s++) {
    const [step] = await queryRows<{ id: unknown }>(
      db,
      sql`insert into steps (run_id, name, kind, status, max_attempts, timeout_ms, attempts)
          values (${id}, ${`s${s}`}, 'agent', ${final ? status : "waiting"}, 3, 1000, ${options.attempts ?? 2}) returning id`,
    );
    const stepId = Number(step!.id);
    steps.push(stepId);
    for (let a = 1; a <= (options.attempts ?? 2); a++) {
      await db.execute(sql`insert into step_attempts (step_id, attempt, fence, outcome, started_at, finished_at, duration_ms)
        values (${stepId}, ${a}, nextval('step_fence_seq'), 'failed', ${ago(days)}::timestamptz, ${ago(days)}::timestamptz, 5)`);
    }
  }
  return { id, steps };
}

async function count(db: Db, query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await queryRows<{ n: unknown }>(db, query);
  return Number(row?.n ?? 0);
}

async function progress(db: Db, table: string) {
  const [row] = await queryRows<{
    last_deleted: unknown;
    last_detail: Record<string, number> | null;
    total_deleted: unknown;
    caught_up: boolean;
    last_run_at: unknown;
    oldest_at: unknown;
    oldest_prunable_at: unknown;
    note: string | null;
    retention_days: unknown;
  }>(db, sql`select * from retention_progress where table_name = ${table}`);
  return row;
}

describeDb("retention", (suite) => {
  const db = () => suite.db();

  beforeEach(async () => {
    await db().execute(sql`delete from runs`);
    await db().execute(sql`delete from retention_progress`);
  });

  it("prunes finished runs past retention with their steps and attempts; keeps unfinished, recent and project runs", async () => {
    const old = await Promise.all(["succeeded", "failed", "cancelled"].map((s) => seedRun(db(), s, 40)));
    const running = await seedRun(db(), "running", 40);
    const waiting = await seedRun(db(), "waiting", 60);
    const recent = await seedRun(db(), "succeeded", 5);
    // Created long ago, finished recently: its retention counts from its end.
    const longRun = await seedRun(db(), "succeeded", 45, { finishedDays: 2 });
    const ofProject = await seedRun(db(), "succeeded", 50);
    await db().execute(
      sql`insert into projects (token_hash, payment_status, run_id) values ('x', 'test_mode', ${ofProject.id})`,
    );

    const [pass] = await runRetention(db(), { tables: ["runs"] });
    expect(pass).toMatchObject({ table: "runs", deleted: 3, detail: { steps: 6, stepAttempts: 12 }, caughtUp: true });

    const left = await queryRows<{ id: string }>(db(), sql`select id from runs`);
    expect(left.map((r) => r.id).sort()).toEqual([running.id, waiting.id, recent.id, longRun.id, ofProject.id].sort());
    const oldSteps = old.flatMap((r) => r.steps);
    expect(
      await count(db(), sql`select count(*) as n from steps where id = any(${sql.param(oldSteps)}::bigint[])`),
    ).toBe(0);
    expect(
      await count(
        db(),
        sql`select count(*) as n from step_attempts where step_id = any(${sql.param(oldSteps)}::bigint[])`,
      ),
    ).toBe(0);
    // The kept runs keep all theirs: 5 runs × 2 steps, × 2 attempts.
    expect(await count(db(), sql`select count(*) as n from steps`)).toBe(10);
    expect(await count(db(), sql`select count(*) as n from step_attempts`)).toBe(20);

    const row = await progress(db(), "runs");
    expect(row).toMatchObject({
      caught_up: true,
      last_detail: { steps: 6, stepAttempts: 12 },
      oldest_prunable_at: null,
    });
    expect(Number(row!.last_deleted)).toBe(3);
    expect(Number(row!.total_deleted)).toBe(3);
    expect(Number(row!.retention_days)).toBe(30);
    // The oldest finished run left is the project's (held), 50 days old.
    expect(Math.round((Date.now() - new Date(String(row!.oldest_at)).getTime()) / DAY)).toBe(50);
  });

  it("bounds a pass by batches, carries on at the next one, and lets a caught-up table rest", async () => {
    for (let i = 0; i < 25; i++) await seedRun(db(), "succeeded", 31 + i, { steps: 1, attempts: 1 });
    const first = await runRetention(db(), { tables: ["runs"], batch: 10, maxBatches: 2 });
    expect(first[0]).toMatchObject({ deleted: 20, batches: 2, caughtUp: false });
    expect(await count(db(), sql`select count(*) as n from runs`)).toBe(5);
    // The 20 oldest went first: what is left is 31 to 35 days old.
    const row = await progress(db(), "runs");
    expect(row!.caught_up).toBe(false);
    expect(Math.round((Date.now() - new Date(String(row!.oldest_prunable_at)).getTime()) / DAY)).toBe(35);

    // Not caught up: the next pass (even a minute early) takes the table again.
    const second = await runRetention(db(), { tables: ["runs"], batch: 10, maxBatches: 2 });
    expect(second[0]).toMatchObject({ deleted: 5, batches: 1, caughtUp: true });
    expect(Number((await progress(db(), "runs"))!.total_deleted)).toBe(25);
    // Caught up, but its pass deleted rows (rows keep falling past the cutoff on a busy
    // platform): the next pass takes it again; that one finds nothing to delete.
    expect(await runRetention(db(), { tables: ["runs"] })).toMatchObject([{ deleted: 0, caughtUp: true }]);
    // Caught up with nothing deleted less than a minute ago: skipped, unless forced.
    expect(await runRetention(db(), { tables: ["runs"] })).toEqual([]);
    expect(await runRetention(db(), { tables: ["runs"], force: true })).toHaveLength(1);
  });

  it("as a chore, passes again at once while it deletes, rests a minute once a pass finds nothing, and spends half of a tick's remaining budget at most", async () => {
    // Too little of the tick left (a quarter of a second for half of 400 ms): no pass at all.
    await seedRun(db(), "succeeded", 40);
    await retentionChore(db(), { budgetMs: 400 });
    expect(await count(db(), sql`select count(*) as n from runs`)).toBe(1);
    await retentionChore(db(), { budgetMs: 60_000 });
    expect(await count(db(), sql`select count(*) as n from runs`)).toBe(0);
    // That pass deleted a run: the next call passes again, and deletes again.
    await seedRun(db(), "succeeded", 41);
    await retentionChore(db(), { budgetMs: 60_000 });
    expect(await count(db(), sql`select count(*) as n from runs`)).toBe(0);
    // A pass with nothing to delete anywhere, then this process rests: a new old run waits.
    await retentionChore(db(), { budgetMs: 60_000 });
    await seedRun(db(), "succeeded", 42);
    await retentionChore(db(), { budgetMs: 60_000 });
    expect(await count(db(), sql`select count(*) as n from runs`)).toBe(1);
  });

  it("skips a table another process holds", async () => {
    await seedRun(db(), "succeeded", 40);
    await db().execute(
      sql`insert into retention_progress (table_name, claimed_until) values ('runs', now() + interval '1 minute')`,
    );
    expect(await runRetention(db(), { tables: ["runs"], force: true })).toEqual([]);
    expect(await count(db(), sql`select count(*) as n from runs`)).toBe(1);
    await db().execute(sql`update retention_progress set claimed_until = now() - interval '1 second'`);
    expect((await runRetention(db(), { tables: ["runs"], force: true }))[0]!.deleted).toBe(1);
  });

  it("keeps audit entries 7 years", async () => {
    await db().execute(sql`delete from audit_log`);
    await db().execute(sql`insert into audit_log (at, actor, action, outcome) values
      (now() - interval '7 years 1 month', 'key:a', 'old', 200),
      (now() - interval '6 years 11 months', 'key:a', 'kept', 200),
      (now(), 'key:a', 'new', 200)`);
    const [pass] = await runRetention(db(), { tables: ["audit_log"] });
    expect(pass!.deleted).toBe(1);
    const left = await queryRows<{ action: string }>(db(), sql`select action from audit_log order by at`);
    expect(left.map((r) => r.action)).toEqual(["kept", "new"]);
    expect((await retentionStatus(db())).tables.find((t) => t.table === "audit_log")).toMatchObject({
      retentionDays: 2557,
      setting: "RETENTION_AUDIT_DAYS",
      lastDeleted: 1,
      caughtUp: true,
    });
  });

  it("keeps an event while a delivery of it is left or an unfinished run started before it", async () => {
    await db().execute(sql`delete from event_deliveries`);
    await db().execute(sql`delete from events`);
    const [sub] = await queryRows<{ id: string }>(
      db(),
      sql`insert into event_subscriptions (topic_pattern, url, secret) values ('*', 'https://hooks.example/x', 'enc') returning id`,
    );
    const event = async (topic: string, days: number) =>
      Number(
        (
          await queryRows<{ id: unknown }>(
            db(),
            sql`insert into events (topic, source, created_at) values (${topic}, 'test', ${ago(days)}::timestamptz) returning id`,
          )
        )[0]!.id,
      );
    const e0 = await event("plain.old", 50);
    const pending = await event("pending.delivery", 50);
    const delivered = await event("delivered.delivery", 50);
    const afterRun = await event("after.run", 40);
    const recent = await event("recent", 1);
    await db().execute(sql`insert into event_deliveries (subscription_id, event_id, status, created_at) values
      (${sub!.id}, ${pending}, 'pending', ${ago(50)}::timestamptz),
      (${sub!.id}, ${delivered}, 'delivered', ${ago(50)}::timestamptz)`);
    const unfinished = await seedRun(db(), "waiting", 45);

    expect((await runRetention(db(), { tables: ["event_deliveries"] }))[0]!.deleted).toBe(1);
    const [pass] = await runRetention(db(), { tables: ["events"] });
    expect(pass!.deleted).toBe(2);
    const left = async () =>
      (await queryRows<{ id: unknown }>(db(), sql`select id from events order by id`)).map((r) => Number(r.id));
    expect(await left()).toEqual([pending, afterRun, recent]);
    expect(await left()).not.toContain(e0);
    expect((await progress(db(), "events"))!.note).toMatch(/held by the oldest unfinished run/);

    // The run ends: the event it held goes; the one with a pending delivery stays.
    await db().execute(sql`update runs set status = 'cancelled', finished_at = now() where id = ${unfinished.id}`);
    await runRetention(db(), { tables: ["events"], force: true });
    expect(await left()).toEqual([pending, recent]);
    expect((await progress(db(), "events"))!.note).toBeNull();
  });

  it("prunes outbox messages that are done, never pending ones; and old agent calls", async () => {
    await db().execute(sql`delete from outbox`);
    await db().execute(sql`delete from agent_calls`);
    await db().execute(sql`insert into outbox (channel, recipient, subject, body, status, created_at) values
      ('email', 'a@b.c', 'sent', '.', 'sent', ${ago(40)}::timestamptz),
      ('email', 'a@b.c', 'failed', '.', 'failed', ${ago(40)}::timestamptz),
      ('slack', '#ops', 'kept', '.', 'kept', ${ago(40)}::timestamptz),
      ('email', 'a@b.c', 'pending', '.', 'pending', ${ago(40)}::timestamptz),
      ('email', 'a@b.c', 'recent', '.', 'sent', ${ago(1)}::timestamptz)`);
    await db().execute(sql`insert into agent_calls (agent, action, outcome, duration_ms, at) values
      ('core', 'qa', 'succeeded', 5, ${ago(2)}::timestamptz), ('core', 'qa', 'succeeded', 5, now())`);
    const passes = await runRetention(db(), { tables: ["outbox", "agent_calls"] });
    expect(Object.fromEntries(passes.map((p) => [p.table, p.deleted]))).toEqual({ outbox: 3, agent_calls: 1 });
    const subjects = await queryRows<{ subject: string }>(db(), sql`select subject from outbox order by subject`);
    expect(subjects.map((r) => r.subject)).toEqual(["pending", "recent"]);
    expect(await count(db(), sql`select count(*) as n from agent_calls`)).toBe(1);
  });

  it("shows its progress to any signed-in role, like every dashboard read", async () => {
    await seedRun(db(), "failed", 40);
    await runRetention(db(), { tables: ["runs"] });
    const operator = (await createApiKey(db(), { name: "retention operator", role: "operator" })).key;
    const viewer = (await createApiKey(db(), { name: "retention viewer", role: "viewer" })).key;
    const read = await callJson<{ passBudgetMs: number; tables: { table: string; lastDeleted: number }[] }>(
      getRetention,
      "/api/system/retention",
      { key: operator },
    );
    expect(read.status).toBe(200);
    // The dashboard's schema is the contract.
    expect(retentionStatusSchema.safeParse(read.body).error?.issues ?? []).toEqual([]);
    expect(read.body.passBudgetMs).toBe(2_000);
    expect(read.body.tables.map((t) => t.table)).toEqual(
      expect.arrayContaining(["runs", "events", "event_deliveries", "outbox", "agent_calls", "audit_log"]),
    );
    expect(read.body.tables.find((t) => t.table === "runs")).toMatchObject({ lastDeleted: 1, caughtUp: true });
    expect((await callJson(getRetention, "/api/system/retention", { key: viewer })).status).toBe(200);
    expect((await callJson(getRetention, "/api/system/retention")).status).toBe(401);
  });

  describe("the retention_behind alert", () => {
    beforeAll(async () => {
      await db().execute(
        sql`update alert_rules set enabled = coalesce(builtin = 'retention_behind', false), channels = '{}'`,
      );
    });

    it("fires for a table whose prunable rows are hours past retention, and resolves once pruned", async () => {
      await db().execute(sql`delete from agent_calls`);
      await db().execute(sql`delete from alerts`);
      // Retention 1 day: a call 3 days old is 48 hours behind (the rule's margin is 6 hours).
      await db().execute(sql`insert into agent_calls (agent, action, outcome, duration_ms, at) values
        ('core', 'qa', 'succeeded', 5, now() - interval '3 days')`);
      const fired = await evaluateAlerts(db());
      expect(fired.errors).toEqual([]);
      expect(fired.fired.map((f) => f.subject)).toEqual(["agent_calls"]);
      const [alert] = await queryRows<{ message: string; value: unknown }>(
        db(),
        sql`select message, value from alerts where subject = 'agent_calls'`,
      );
      expect(Number(alert!.value)).toBeGreaterThan(47);
      expect(alert!.message).toMatch(/Retention of agent_calls is behind/);

      await runRetention(db(), { tables: ["agent_calls"], force: true });
      const after = await evaluateAlerts(db());
      expect(after.resolved).toBe(1);
    });
  });
});
