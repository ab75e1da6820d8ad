/**
 * The restore drill (workflows/platform_backup_drill.yaml, daily): the newest verified backup is
 * restored, from its first destination that still holds it, into a scratch database (an embedded
 * PGlite in a temporary folder: self-hosted and in CI; Vercel's functions do not carry PGlite, so
 * there the drill is recorded as failed, saying where to run it),
 * with every check of a real restore (manifest HMAC, SHA-256 and row count of every part, row
 * count of every table after loading, the migrations newer than the backup applied). The result
 * is recorded in `backup_drills`; the scratch database is deleted whatever the outcome.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { openDb, queryRows, type Db } from "@/db/client";
import type { BackupDestinationRecord } from "@/db/schema/backups";
import { backupKey } from "./config";
import { destinationFor } from "./destinations";
import { destinationReader, restoreBackup } from "./restore";

export interface DrillResult {
  drillId: string;
  backupId: string | null;
  status: "succeeded" | "failed";
  tables: number;
  rows: number;
  durationMs: number;
  error: string | null;
}

export interface DrillOptions {
  migrationsFolder?: string;
}

/** Runs one drill and records it. A drill that fails is recorded (and answered) as failed, not thrown. */
export async function runRestoreDrill(db: Db, options: DrillOptions = {}): Promise<DrillResult> {
  const [newest] = await queryRows<{ id: string; destinations: BackupDestinationRecord[] }>(
    db,
    sql`select id, destinations from backups where status = 'succeeded' and verification = 'verified'
        order by finished_at desc nulls last, id desc limit 1`,
  );
  const [drill] = await queryRows<{ id: string }>(
    db,
    sql`insert into backup_drills (backup_id, status) values (${newest?.id ?? null}, 'running') returning id`,
  );
  const drillId = drill!.id;
  const started = performance.now();
  let scratchDir: string | undefined;
  let result: Omit<DrillResult, "drillId" | "durationMs">;
  try {
    // Vercel's functions carry no embedded database (next.config.ts leaves PGlite out of them).
    if (process.env.VERCEL?.trim())
      throw new Error(
        "The restore drill needs an embedded scratch database, which Vercel functions do not carry: run it on a self-hosted worker or in CI.",
      );
    if (!newest) throw new Error("There is no verified backup to restore.");
    const record = newest.destinations.find((d) => !d.prunedAt);
    if (!record) throw new Error(`The backup ${newest.id} is no longer on any destination.`);
    const destination = destinationFor(record);
    const reader = destinationReader(destination, newest.id);
    scratchDir = await mkdtemp(path.join(os.tmpdir(), "backup-drill-"));
    const scratch = await openDb(undefined, "pglite", { pgliteDataDir: scratchDir });
    try {
      const restored = await restoreBackup(scratch.db, reader, {
        key: backupKey(),
        migrationsFolder: options.migrationsFolder,
      });
      result = {
        backupId: newest.id,
        status: "succeeded",
        tables: restored.tables.length,
        rows: restored.rows,
        error: null,
      };
    } finally {
      await scratch.close();
    }
  } catch (error) {
    result = {
      backupId: newest?.id ?? null,
      status: "failed",
      tables: 0,
      rows: 0,
      error: (error instanceof Error ? error.message : String(error)).slice(0, 2_000),
    };
  } finally {
    if (scratchDir) await rm(scratchDir, { recursive: true, force: true });
  }
  const durationMs = Math.round(performance.now() - started);
  await db.execute(sql`
    update backup_drills set status = ${result.status}, tables = ${result.tables}, rows = ${result.rows},
      error = ${result.error}, finished_at = now(), duration_ms = ${durationMs}
    where id = ${drillId}`);
  return { drillId, durationMs, ...result };
}
