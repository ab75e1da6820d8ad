/**
 * The restore drill and the backups' alerts, on each database: a drill with no backup is recorded
 * as failed; after a backup (the workflow), the drill workflow restores it into a scratch PGlite
 * and records its success; the built-in `backup_stale` and `backup_drill_stale` rules fire when
 * the last success is older than their thresholds and resolve after a new one.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { runRestoreDrill } from "@/backups/drill";
import { backupAges, backupStatus } from "@/backups/list";
import { queryRows } from "@/db/client";
import { syncWorkflowFiles } from "@/engine/registry";
import { startRun } from "@/engine/start-run";
import { evaluateAlerts } from "@/operations/alerts/evaluate";
import { backupEnvForFile } from "../../helpers/backups";
import { describeDb } from "../../helpers/db";
import { runUntilDone } from "../../helpers/engine";

backupEnvForFile({ BACKUP_KEY: randomBytes(32).toString("base64") }, (env) => {
  env.BACKUP_DIR = path.join(process.env.DATA_DIR!, "drill-backups");
});

const HOUR = 3_600_000;

describeDb("the restore drill and the backup alerts", (suite) => {
  const db = () => suite.db();
  beforeAll(async () => {
    await syncWorkflowFiles(db());
    await db().execute(
      sql`update alert_rules set enabled = coalesce(builtin in ('backup_stale', 'backup_drill_stale'), false), channels = '{}'`,
    );
  });

  it("records a failed drill when there is no backup to restore", async () => {
    const result = await runRestoreDrill(db());
    expect(result).toMatchObject({ status: "failed", backupId: null });
    expect(result.error).toMatch(/no verified backup/);
    expect((await backupStatus(db())).lastDrill).toBeNull();
  });

  it("a fresh platform is not alerted; past the thresholds with no success, both rules fire", async () => {
    expect((await evaluateAlerts(db())).fired).toEqual([]);
    const later = await evaluateAlerts(db(), { now: new Date(Date.now() + 60 * HOUR) });
    expect(later.errors).toEqual([]);
    const [backupAlert] = await queryRows<{ message: string }>(
      db(),
      sql`select a.message from alerts a join alert_rules r on r.id = a.rule_id where r.builtin = 'backup_stale'`,
    );
    expect(backupAlert?.message).toMatch(/The last verified backup is \d+ h old/);
    const [drillAlert] = await queryRows<{ message: string }>(
      db(),
      sql`select a.message from alerts a join alert_rules r on r.id = a.rule_id where r.builtin = 'backup_drill_stale'`,
    );
    expect(drillAlert?.message).toMatch(/restore drill/);
  });

  it("the drill workflow restores the newest backup into a scratch database and records it; the alerts resolve", async () => {
    const backup = await startRun(db(), { workflow: "platform_backup", input: { trigger: "manual" } });
    expect((await runUntilDone(db(), backup.id, 60_000)).status).toBe("succeeded");
    const drill = await startRun(db(), { workflow: "platform_backup_drill" });
    const run = await runUntilDone(db(), drill.id, 60_000);
    expect(run.status, JSON.stringify(run.steps.map((s) => s.error))).toBe("succeeded");
    const status = await backupStatus(db());
    expect(status.lastBackup?.id).toBe(backup.id);
    expect(status.lastDrill).toMatchObject({ backupId: backup.id, status: "succeeded" });
    expect(status.lastDrill!.rows).toBeGreaterThan(0);
    expect(status.lastDrill!.tables).toBeGreaterThan(10);
    const ages = await backupAges(db());
    expect(ages.backup.hours).toBeLessThan(1);
    expect(ages.drill.hours).toBeLessThan(1);
    const now = await evaluateAlerts(db());
    expect(now.resolved).toBe(2);
    // 30 hours on, the backup is overdue (26 h) but the drill is not (50 h).
    // (The firings 60 hours ahead above would hold the rules in their cooldown: forgotten.)
    await db().execute(sql`delete from alerts`);
    await db().execute(sql`delete from alert_rule_state`);
    const later = await evaluateAlerts(db(), { now: new Date(Date.now() + 30 * HOUR) });
    expect(later.fired.map((f) => f.subject)).toHaveLength(1);
    const open = await queryRows<{ builtin: string }>(
      db(),
      sql`select r.builtin from alerts a join alert_rules r on r.id = a.rule_id where a.state <> 'resolved'`,
    );
    expect(open.map((o) => o.builtin)).toEqual(["backup_stale"]);
    // A backup and a restore into a fresh PGlite (every migration): about 30 s on a loaded 2-core machine.
  }, 120_000);
});
