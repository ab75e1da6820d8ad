/**
 * Siblings finishing at the same moment into one join, completed by concurrent ticks (a stress
 * test: on Postgres the completions really run at once). Every completion takes the step's row,
 * then the run's, then the join's; and a completion Postgres still aborts as a deadlock victim
 * is run again (retryOnConflict) instead of losing its result until the lease expires. Either
 * failure would show here as a second attempt or a lost result.
 */
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { startRun } from "@/engine/start-run";
import { tick } from "@/engine/tick";
import { describeDb } from "../helpers/db";
import { register } from "../helpers/engine";

describeDb("engine join contention", (suite) => {
  it("completes 60 runs of four parallel agent calls and a join under four concurrent ticks, each step in one attempt", async () => {
    const db = suite.db();
    await register(
      db,
      `
name: join_contention
steps:
  - { name: a, agent: core, action: health, timeout: 2s }
  - { name: b, agent: core, action: health, timeout: 2s }
  - { name: c, agent: core, action: health, timeout: 2s }
  - { name: d, agent: core, action: health, timeout: 2s }
  - { name: join, depends_on: [a, b, c, d], emit: { topic: contention.join }, timeout: 1s }
`,
    );
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push((await startRun(db, { workflow: "join_contention" })).id);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [left] = await queryRows<{ n: unknown }>(
        db,
        sql`select count(*)::int as n from runs where workflow = 'join_contention' and status <> 'succeeded'`,
      );
      if (Number(left!.n) === 0 || Date.now() > deadline) break;
      await Promise.all(Array.from({ length: 4 }, () => tick(db, { budgetMs: 10_000 })));
    }
    const steps = await queryRows<{ status: string; attempts: unknown; n: unknown }>(
      db,
      sql`select s.status, s.attempts, count(*)::int as n from steps s join runs r on r.id = s.run_id
          where r.workflow = 'join_contention' group by s.status, s.attempts`,
    );
    expect(steps.map((s) => ({ status: s.status, attempts: Number(s.attempts), n: Number(s.n) }))).toEqual([
      { status: "succeeded", attempts: 1, n: 300 },
    ]);
    const [failures] = await queryRows<{ n: unknown }>(
      db,
      sql`select count(*)::int as n from step_attempts a join steps s on s.id = a.step_id join runs r on r.id = s.run_id
          where r.workflow = 'join_contention' and a.outcome <> 'succeeded'`,
    );
    expect(Number(failures!.n)).toBe(0);
  }, 90_000);
});
