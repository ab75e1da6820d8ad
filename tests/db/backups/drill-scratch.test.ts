/**
 * The restore drill's scratch database (src/backups/scratch.ts): on Vercel without
 * BACKUP_DRILL_DATABASE_URL it is recorded as failed, saying to set it; with the URL of another
 * Postgres database (on Postgres), the drill wipes it and restores into it, on Vercel too, from a
 * PGlite or a Postgres platform; pointed at the platform's own database (by its own URL or another
 * address of it), it refuses, and the platform's data is intact.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { runRestoreDrill } from "@/backups/drill";
import { openDb, queryRows, setDbHandle, type Db, type DbHandle } from "@/db/client";
import { syncWorkflowFiles } from "@/engine/registry";
import { createPostgresDatabase, describeDb } from "../../helpers/db";
import { backupNow } from "../../helpers/backups";

/** A backup or a restore through the engine: seconds, more on a loaded machine. */
const SLOW = 120_000;

const KEY = randomBytes(32).toString("base64");
const POSTGRES = Boolean(process.env.TEST_DATABASE_URL);

beforeEach(() => {
  vi.stubEnv("BACKUP_KEY", KEY);
  vi.stubEnv("BACKUP_DIR", path.join(process.env.DATA_DIR!, "drill-scratch-backups"));
  vi.stubEnv("BACKUP_DRILL_DATABASE_URL", "");
  vi.stubEnv("VERCEL", "");
});
afterEach(() => {
  vi.unstubAllEnvs();
});

async function count(db: Db, table: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from ${sql.identifier(table)}`);
  return row!.n;
}

describeDb("the restore drill's scratch database", (suite) => {
  const db = () => suite.db();
  let backupId: string;
  beforeAll(async () => {
    vi.stubEnv("BACKUP_KEY", KEY);
    vi.stubEnv("BACKUP_DIR", path.join(process.env.DATA_DIR!, "drill-scratch-backups"));
    await syncWorkflowFiles(db());
    backupId = await backupNow(db());
    vi.unstubAllEnvs();
  });

  it("on Vercel without BACKUP_DRILL_DATABASE_URL, the drill is recorded as failed, saying to set it", async () => {
    vi.stubEnv("VERCEL", "1");
    const result = await runRestoreDrill(db());
    expect(result).toMatchObject({ status: "failed", backupId });
    expect(result.error).toMatch(/set BACKUP_DRILL_DATABASE_URL/);
    const [row] = await queryRows<{ status: string; error: string }>(
      db(),
      sql`select status, error from backup_drills where id = ${result.drillId}`,
    );
    expect(row).toEqual({ status: "failed", error: result.error });
  });

  it.runIf(POSTGRES)(
    "with the URL, wipes another Postgres database and restores into it (on Vercel too)",
    async () => {
      // A database that is not empty: a migrated one, with a table of its own besides.
      const scratchDb = await createPostgresDatabase({ migrated: true });
      const scratch = await openDb(scratchDb.url, "pg");
      try {
        await scratch.db.execute(sql`create table leftover (id int)`);
        await scratch.db.execute(sql`create schema drizzle`);
        vi.stubEnv("VERCEL", "1");
        vi.stubEnv("BACKUP_DRILL_DATABASE_URL", scratchDb.url);
        const result = await runRestoreDrill(db());
        expect(result, result.error ?? "").toMatchObject({ status: "succeeded", backupId, error: null });
        expect(result.tables).toBeGreaterThan(10);
        const [left] = await queryRows<{ n: number }>(
          scratch.db,
          sql`select count(*)::int as n from pg_tables where tablename = 'leftover'`,
        );
        expect(left!.n).toBe(0);
        for (const table of ["workflow_definitions", "alert_rules"])
          expect(await count(scratch.db, table), table).toBe(await count(db(), table));
        // The platform's own database still has its runs and backups.
        expect(await count(db(), "backups")).toBeGreaterThan(0);
      } finally {
        await scratch.close();
        await scratchDb.drop();
      }
    },
    SLOW,
  );
});

describe.runIf(POSTGRES)("the restore drill pointed at the platform's own database [postgres]", () => {
  let platform: { url: string; drop(): Promise<void> };
  let handle: DbHandle;
  beforeAll(async () => {
    platform = await createPostgresDatabase({ migrated: true });
    handle = await openDb(platform.url, "pg");
    setDbHandle(handle);
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await handle?.close();
    await platform?.drop();
  });

  it(
    "refuses, by its own URL or another address of it, and records why; the data is intact",
    async () => {
      await syncWorkflowFiles(handle.db);
      await backupNow(handle.db);
      const tables = ["workflow_definitions", "runs", "backups", "schema_migrations", "alert_rules"];
      const before = await Promise.all(tables.map((t) => count(handle.db, t)));
      const other = new URL(platform.url);
      other.hostname = other.hostname === "localhost" ? "127.0.0.1" : "localhost";
      for (const url of [platform.url, other.toString()]) {
        vi.stubEnv("BACKUP_DRILL_DATABASE_URL", url);
        const result = await runRestoreDrill(handle.db);
        expect(result.status).toBe("failed");
        expect(result.error).toMatch(/BACKUP_DRILL_DATABASE_URL points at the platform's own database/);
      }
      const after = await Promise.all(tables.map((t) => count(handle.db, t)));
      // Two more drills recorded (failed); nothing else changed.
      expect(after).toEqual(before);
      expect(await count(handle.db, "backup_drills")).toBe(2);
      const drills = await queryRows<{ status: string }>(handle.db, sql`select status from backup_drills`);
      expect(drills.map((d) => d.status)).toEqual(["failed", "failed"]);
    },
    SLOW,
  );
});
