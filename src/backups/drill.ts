/**
 * The restore drill (workflows/platform_backup_drill.yaml, daily): the newest verified backup is
 * restored, from its first destination that still holds it, into a scratch database (scratch.ts:
 * the Postgres of BACKUP_DRILL_DATABASE_URL, wiped first and refused when it is the platform's
 * own; else an embedded PGlite in a temporary folder, self-hosted and in CI; on Vercel without
 * the URL the drill is recorded as failed, saying to set it),
 * with every check of a real restore (manifest HMAC, SHA-256 and row count of every part, row
 * count of every table after loading, the migrations newer than the backup applied). The result
 * is recorded in `backup_drills`; an embedded scratch database is deleted whatever the outcome.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import type { BackupDestinationRecord } from "@/db/schema/backups";
import { backupKey } from "./config";
import { destinationFor } from "./destinations";
import { destinationReader, restoreBackup } from "./restore";
import { openScratchDatabase } from "./scratch";

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
  let result: Omit<DrillResult, "drillId" | "durationMs">;
  try {
    if (!newest) throw new Error("There is no verified backup to restore.");
    const record = newest.destinations.find((d) => !d.prunedAt);
    if (!record) throw new Error(`The backup ${newest.id} is no longer on any destination.`);
    const destination = destinationFor(record);
    const reader = destinationReader(destination, newest.id);
    const scratch = await openScratchDatabase(db);
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
  }
  const durationMs = Math.round(performance.now() - started);
  await db.execute(sql`
    update backup_drills set status = ${result.status}, tables = ${result.tables}, rows = ${result.rows},
      error = ${result.error}, finished_at = now(), duration_ms = ${durationMs}
    where id = ${drillId}`);
  return { drillId, durationMs, ...result };
}
