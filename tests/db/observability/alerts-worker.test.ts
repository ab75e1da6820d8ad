/**
 * The local worker loop evaluates the alert rules by itself (the cron route does it on Vercel):
 * a run that fails while a worker runs raises the failed-runs alert with no other help.
 */
import { sql } from "drizzle-orm";
import { beforeAll, expect, it, vi } from "vitest";
import { registerInProcessAgent } from "@/agents/catalog";
import { queryRows } from "@/db/client";
import { startRun } from "@/engine/start-run";
import { NonRetryableError } from "@/step-errors";
import { runWorker } from "@/runtime/worker";
import { describeDb } from "../../helpers/db";
import { register } from "../../helpers/engine";

beforeAll(() => {
  registerInProcessAgent("worker-alerts", {
    fail: async () => {
      throw new NonRetryableError("this step always fails");
    },
  });
});

describeDb("alert evaluation in the worker loop", (suite) => {
  it("fires the failed-runs alert for a run that failed while the worker ran", async () => {
    const db = suite.db();
    await register(
      db,
      "name: worker-alerts-flow\nsteps:\n  - name: only\n    agent: worker-alerts\n    action: fail\n",
    );
    const controller = new AbortController();
    const worker = runWorker(db, { signal: controller.signal, idleMaxMs: 50, alertEvaluationMs: 100 });
    try {
      const run = await startRun(db, { workflow: "worker-alerts-flow", input: {}, trigger: { type: "manual" } });
      await vi.waitFor(
        async () => {
          const alerts = await queryRows<{ state: string; message: string }>(
            db,
            sql`select a.state, a.message from alerts a join alert_rules r on r.id = a.rule_id where r.builtin = 'failed_runs'`,
          );
          expect(alerts).toEqual([expect.objectContaining({ state: "active" })]);
        },
        { timeout: 15_000, interval: 100 },
      );
      const [row] = await queryRows<{ status: string }>(db, sql`select status from runs where id = ${run.id}`);
      expect(row?.status).toBe("failed");
    } finally {
      controller.abort();
      await worker;
    }
  });
});
