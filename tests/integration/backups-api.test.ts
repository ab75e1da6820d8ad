/**
 * `POST /api/backups` (admin) starts the platform_backup workflow; `GET /api/backups` lists the
 * backups with size, duration, destinations and verification state. Retention keeps the newest
 * BACKUP_KEEP_COUNT verified backups per destination, none older than BACKUP_KEEP_DAYS, and runs
 * only after a verified backup; a failed backup leaves no files and prunes nothing.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { GET, POST } from "@/app/api/backups/route";
import { createApiKey } from "@/auth/api-keys";
import { exportChunk, failBackup, planBackup } from "@/backups/backup";
import { backupsSchema } from "@/dashboard/backups";
import { queryRows } from "@/db/client";
import { syncWorkflowFiles } from "@/engine/registry";
import { backupEnvForFile } from "../helpers/backups";
import { describeDb } from "../helpers/db";
import { runUntilDone } from "../helpers/engine";
import { call, callJson } from "../helpers/http";

const ENV = backupEnvForFile({ BACKUP_KEY: randomBytes(32).toString("base64"), BACKUP_KEEP_COUNT: "2" }, (env) => {
  env.BACKUP_DIR = path.join(process.env.DATA_DIR!, "api-backups");
});

interface Listed {
  backups: {
    id: string;
    status: string;
    verification: string;
    bytes: number;
    rows: number;
    durationMs: number | null;
    destinations: { name: string; kind: string; location: string; prunedAt?: string | null }[];
  }[];
  nextCursor: string | null;
  lastBackup: { id: string } | null;
  lastDrill: unknown;
}

describeDb("the backups API", (suite) => {
  const db = () => suite.db();
  const keys = { viewer: "", admin: "", operator: "" };
  beforeAll(async () => {
    await syncWorkflowFiles(db());
    for (const role of ["viewer", "operator", "admin"] as const)
      keys[role] = (await createApiKey(db(), { name: `backups ${role}`, role })).key;
  });

  async function backupNow(): Promise<string> {
    const res = await callJson<{ backupId: string; runId: string }>(POST, "/api/backups", {
      method: "POST",
      key: keys.admin,
    });
    expect(res.status).toBe(202);
    const run = await runUntilDone(db(), res.body.runId, 60_000);
    expect(run.status).toBe("succeeded");
    return res.body.backupId;
  }

  it("only an admin starts a backup; bad input is a 4xx JSON error", async () => {
    expect((await call(POST, "/api/backups", { method: "POST", key: keys.operator })).status).toBe(403);
    expect((await call(POST, "/api/backups", { method: "POST" })).status).toBe(401);
    const bad = await callJson<{ error: { code: string } }>(POST, "/api/backups", {
      method: "POST",
      key: keys.admin,
      body: { destination: "elsewhere" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("validation_failed");
    const badQuery = await callJson<{ error: { code: string } }>(GET, "/api/backups?limit=1000", { key: keys.viewer });
    expect(badQuery.status).toBe(400);
  });

  it("takes a backup on demand and lists it with size, duration, destinations and verification", async () => {
    const id = await backupNow();
    const listed = await callJson<Listed>(GET, "/api/backups", { key: keys.viewer });
    expect(listed.status).toBe(200);
    const backup = listed.body.backups.find((b) => b.id === id)!;
    expect(backup).toMatchObject({ status: "succeeded", verification: "verified" });
    expect(backup.bytes).toBeGreaterThan(0);
    expect(backup.rows).toBeGreaterThan(0);
    expect(backup.durationMs).not.toBeNull();
    expect(backup.destinations).toEqual([{ name: "local", kind: "local", location: ENV.BACKUP_DIR }]);
    expect(listed.body.lastBackup?.id).toBe(id);
    // The dashboard's panel reads this answer through its schema.
    expect(backupsSchema.parse(listed.body).thresholds).toEqual({ backupHours: 26, drillHours: 50 });
    expect(existsSync(path.join(ENV.BACKUP_DIR!, id, "manifest.json"))).toBe(true);
  });

  it("applies retention by count and by age after a verified backup", async () => {
    const ids = [await backupNow(), await backupNow()];
    // Three verified backups, keep 2: the oldest went.
    const rows = await queryRows<{ id: string; destinations: { prunedAt?: string }[] }>(
      db(),
      sql`select id, destinations from backups where status = 'succeeded' order by started_at`,
    );
    expect(rows).toHaveLength(3);
    expect(rows[0]!.destinations[0]!.prunedAt).toBeTruthy();
    expect(existsSync(path.join(ENV.BACKUP_DIR!, rows[0]!.id))).toBe(false);
    const [parts] = await queryRows<{ n: number }>(
      db(),
      sql`select count(*)::int as n from backup_parts where backup_id = ${rows[0]!.id}`,
    );
    expect(parts!.n).toBe(0);
    for (const id of ids) expect(existsSync(path.join(ENV.BACKUP_DIR!, id, "manifest.json"))).toBe(true);
    // Age: the second newest is made 40 days old (default BACKUP_KEEP_DAYS 30): the next backup removes it.
    await db().execute(sql`update backups set started_at = now() - interval '40 days' where id = ${ids[0]!}`);
    const newest = await backupNow();
    expect(existsSync(path.join(ENV.BACKUP_DIR!, ids[0]!))).toBe(false);
    expect(existsSync(path.join(ENV.BACKUP_DIR!, ids[1]!, "manifest.json"))).toBe(true);
    expect(existsSync(path.join(ENV.BACKUP_DIR!, newest, "manifest.json"))).toBe(true);
  });

  it("a backup whose destination cannot be written fails at once, says why, and prunes nothing", async () => {
    const count = async () =>
      (
        await queryRows<{ n: number }>(
          db(),
          sql`select count(*)::int as n from backups where status = 'succeeded' and not (destinations->0 ? 'prunedAt')`,
        )
      )[0]!.n;
    const before = await count();
    const blocker = path.join(process.env.DATA_DIR!, "a-file");
    await writeFile(blocker, "not a folder");
    process.env.BACKUP_DIR = path.join(blocker, "backups");
    try {
      const res = await callJson<{ runId: string }>(POST, "/api/backups", { method: "POST", key: keys.admin });
      expect(res.status).toBe(202);
      const run = await runUntilDone(db(), res.body.runId, 60_000);
      expect(run.status).toBe("failed");
      const [row] = await queryRows<{ status: string; error: string }>(
        db(),
        sql`select status, error from backups where id = ${res.body.runId}`,
      );
      expect(row!.status).toBe("failed");
      expect(row!.error).toMatch(/BACKUP_DIR/);
    } finally {
      process.env.BACKUP_DIR = ENV.BACKUP_DIR;
    }
    expect(await count()).toBe(before);
  });

  it("the error handler removes the parts a failed backup had written", async () => {
    const backupId = randomUUID();
    const plan = await planBackup(db(), { backupId, trigger: "manual" });
    await exportChunk(db(), backupId, plan.phases[0]![0]!);
    expect(existsSync(path.join(ENV.BACKUP_DIR!, backupId))).toBe(true);
    expect(await failBackup(db(), backupId, "a step failed")).toEqual({ status: "failed" });
    expect(existsSync(path.join(ENV.BACKUP_DIR!, backupId))).toBe(false);
    // A failed backup takes no more parts.
    await expect(exportChunk(db(), backupId, plan.phases[0]![0]!)).rejects.toThrow(/failed/);
  });
});
