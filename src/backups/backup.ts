/**
 * Taking a backup: what the steps of workflows/platform_backup.yaml do (the `core` agent's backup
 * actions call these). `planBackup` records the backup and cuts it into chunks (plan.ts); each
 * `exportChunk` writes one family chunk's parts, encrypted, to every destination and records them
 * in `backup_parts`; `finishBackup` writes the manifest last; `verifyBackup` reads every part back
 * from every destination and checks it, then applies retention (only after a verified backup);
 * `failBackup` is the error handler's. Every function is safe to run again (a retried attempt).
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { toIso } from "@/db/rows";
import type { BackupDestinationRecord } from "@/db/schema/backups";
import { readEnv } from "@/env";
import { ConflictError, NotConfiguredError, NotFoundError } from "@/errors";
import { readSequences, readTables, schemaVersion, type TableInfo } from "./catalog";
import { backupKey, backupSettings } from "./config";
import { configuredDestinations, destinationFor, retentionFor, type BackupDestination } from "./destinations";
import {
  BackupIntegrityError,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  openPart,
  partFile,
  readManifest,
  sealPart,
  sha256,
  signManifest,
  type ManifestBody,
} from "./format";
import { chainOf, chunkRows, families, planChunks, tableCounts, type Chunk } from "./plan";

export interface PlanParams {
  backupId: string;
  trigger: string;
  requestedBy?: string | null;
}

export interface BackupPlan {
  backupId: string;
  schemaVersion: string;
  tables: number;
  /** The chunks of each export phase (workflows/platform_backup.yaml: export_0 … export_3). */
  phases: Chunk[][];
}

interface BackupRow {
  id: string;
  status: string;
  destinations: BackupDestinationRecord[];
  started_at: unknown;
  parts: number;
  schema_version: string;
}

async function backupRow(db: Db, backupId: string): Promise<BackupRow> {
  const [row] = await queryRows<BackupRow>(
    db,
    sql`select id, status, destinations, started_at, parts, schema_version from backups where id = ${backupId}`,
  );
  if (!row) throw new NotFoundError(`No backup has the id ${backupId}.`);
  return row;
}

/** A backup that is no longer running (failed, or interrupted by a restore) takes no more writes. */
async function runningBackup(db: Db, backupId: string): Promise<BackupRow> {
  const row = await backupRow(db, backupId);
  if (row.status !== "running")
    throw new ConflictError(`The backup ${backupId} is ${row.status}: it takes no more parts.`, {
      status: row.status,
    });
  return row;
}

export async function planBackup(db: Db, params: PlanParams): Promise<BackupPlan> {
  // Both read first: a missing key or destination fails the backup before anything is written.
  backupKey();
  const destinations = configuredDestinations();
  const settings = backupSettings();
  const tables = await readTables(db);
  const version = await schemaVersion(db);
  const all = families(tables);
  const phases = await planChunks(
    db,
    all,
    await tableCounts(db, tables),
    settings.chunkRows,
    readEnv().FOR_EACH_MAX_ITEMS,
  );
  const membersOf = new Map(all.map((f) => [f.root.name, f.members.length]));
  const parts = phases.flat().reduce((sum, c) => sum + (membersOf.get(c.family) ?? 0), 0);
  const inserted = await queryRows<{ id: string }>(
    db,
    sql`insert into backups (id, status, trigger, requested_by, schema_version, destinations, tables, parts)
        values (${params.backupId}, 'running', ${params.trigger}, ${params.requestedBy ?? null}, ${version},
                ${JSON.stringify(destinations.map((d) => d.record))}::jsonb, ${tables.length}, ${parts})
        on conflict (id) do update set schema_version = excluded.schema_version, destinations = excluded.destinations,
          tables = excluded.tables, parts = excluded.parts
        where backups.status = 'running'
        returning id`,
  );
  // A retried plan of a backup that already ended is refused (it is not run twice).
  if (inserted.length === 0) await runningBackup(db, params.backupId);
  return { backupId: params.backupId, schemaVersion: version, tables: tables.length, phases };
}

export interface ChunkResult {
  family: string;
  part: number;
  rows: number;
  bytes: number;
}

/** Exports one chunk of a family (every member's rows, one snapshot) to every destination. */
export async function exportChunk(db: Db, backupId: string, chunk: Chunk): Promise<ChunkResult> {
  const row = await runningBackup(db, backupId);
  try {
    return await writeChunk(db, row, backupId, chunk);
  } catch (error) {
    // The first reason is kept for the backup's row (the run's error names only the failed phase).
    const reason = `${chunk.family} part ${chunk.part}: ${error instanceof Error ? error.message : String(error)}`;
    await db.execute(
      sql`update backups set error = coalesce(error, ${reason.slice(0, 2_000)}) where id = ${backupId} and status = 'running'`,
    );
    throw error;
  }
}

async function writeChunk(db: Db, row: BackupRow, backupId: string, chunk: Chunk): Promise<ChunkResult> {
  const key = backupKey();
  const destinations = row.destinations.map(destinationFor);
  const tables = await readTables(db);
  const byName = new Map(tables.map((t) => [t.name, t]));
  const family = families(tables).find((f) => f.root.name === chunk.family);
  if (!family) throw new ConflictError(`The table ${chunk.family} is no longer in the database.`);
  // One read-only snapshot for the whole family chunk: a run with its steps and attempts as they were at one instant.
  const perMember = await db.transaction(async (tx) => {
    await tx.execute(sql`set transaction isolation level repeatable read, read only`);
    const out: { table: TableInfo; lines: string[] }[] = [];
    for (const member of family.members)
      out.push({
        table: member,
        lines: await chunkRows(tx, member, chainOf(member, byName, family.root.name), family.root, chunk),
      });
    return out;
  });
  let rows = 0;
  let bytes = 0;
  for (const { table, lines } of perMember) {
    const file = partFile(table.name, chunk.part);
    const data = await sealPart(key, `${backupId}/${file}`, lines);
    await Promise.all(destinations.map((d) => d.put(backupId, file, data)));
    await db.execute(sql`
      insert into backup_parts (backup_id, table_name, part, file, rows, bytes, sha256)
      values (${backupId}, ${table.name}, ${chunk.part}, ${file}, ${lines.length}, ${data.length}, ${sha256(data)})
      on conflict (backup_id, table_name, part) do update
        set file = excluded.file, rows = excluded.rows, bytes = excluded.bytes, sha256 = excluded.sha256, written_at = now()`);
    rows += lines.length;
    bytes += data.length;
  }
  return { family: chunk.family, part: chunk.part, rows, bytes };
}

export interface FinishResult {
  backupId: string;
  tables: number;
  rows: number;
  bytes: number;
  parts: number;
  manifestSha256: string;
}

/** Writes the manifest to every destination (last, so a backup without one is incomplete) and records the backup as succeeded. */
export async function finishBackup(db: Db, backupId: string): Promise<FinishResult> {
  const row = await runningBackup(db, backupId);
  const key = backupKey();
  const parts = await queryRows<{
    table_name: string;
    part: number;
    file: string;
    rows: number;
    bytes: number;
    sha256: string;
  }>(
    db,
    sql`select table_name, part, file, rows, bytes, sha256 from backup_parts where backup_id = ${backupId} order by table_name, part`,
  );
  if (parts.length !== Number(row.parts))
    throw new ConflictError(`The backup ${backupId} has ${parts.length} of its ${row.parts} parts: it is incomplete.`);
  const tables = await readTables(db);
  const byTable = new Map<string, typeof parts>();
  for (const p of parts) byTable.set(p.table_name, [...(byTable.get(p.table_name) ?? []), p]);
  const started = toIso(row.started_at) ?? new Date().toISOString();
  const body: ManifestBody = {
    format: MANIFEST_FORMAT,
    version: 1,
    backupId,
    schemaVersion: row.schema_version,
    keyId: key.id,
    encryption: "aes-256-gcm",
    compression: "gzip",
    startedAt: started,
    finishedAt: new Date().toISOString(),
    // In the restore's order: parents before children.
    tables: tables
      .filter((t) => byTable.has(t.name))
      .map((t) => {
        const own = byTable.get(t.name)!;
        return {
          name: t.name,
          primaryKey: t.primaryKey,
          rows: own.reduce((sum, p) => sum + Number(p.rows), 0),
          parts: own.map((p) => ({ file: p.file, rows: Number(p.rows), bytes: Number(p.bytes), sha256: p.sha256 })),
        };
      }),
    // Read after every part: each sequence is at least as far as any value the parts hold.
    sequences: await readSequences(db),
  };
  const manifest = Buffer.from(`${JSON.stringify(signManifest(key, body), null, 2)}\n`, "utf8");
  await Promise.all(row.destinations.map((d) => destinationFor(d).put(backupId, MANIFEST_FILE, manifest)));
  const totalRows = body.tables.reduce((sum, t) => sum + t.rows, 0);
  const totalBytes = parts.reduce((sum, p) => sum + Number(p.bytes), 0) + manifest.length;
  const manifestSha256 = sha256(manifest);
  await db.execute(sql`
    update backups set status = 'succeeded', finished_at = now(), rows = ${totalRows}, bytes = ${totalBytes},
      tables = ${body.tables.length}, manifest_sha256 = ${manifestSha256},
      duration_ms = greatest(0, round(extract(epoch from now() - started_at) * 1000))::int
    where id = ${backupId} and status = 'running'`);
  return {
    backupId,
    tables: body.tables.length,
    rows: totalRows,
    bytes: totalBytes,
    parts: parts.length,
    manifestSha256,
  };
}

/** Reads one copy of a backup back: the manifest's HMAC, every part's SHA-256, decryption and row count. */
export async function verifyCopy(destination: BackupDestination, backupId: string): Promise<{ rows: number }> {
  const key = backupKey();
  const manifest = readManifest(key, (await destination.get(backupId, MANIFEST_FILE)).toString("utf8"));
  let rows = 0;
  for (const table of manifest.tables)
    for (const part of table.parts) {
      const data = await destination.get(backupId, part.file);
      if (sha256(data) !== part.sha256)
        throw new BackupIntegrityError(`${destination.record.name}: ${part.file} does not match its SHA-256`);
      const lines = await openPart(key, `${backupId}/${part.file}`, data);
      if (lines.length !== part.rows)
        throw new BackupIntegrityError(
          `${destination.record.name}: ${part.file} holds ${lines.length} rows, not ${part.rows}`,
        );
      rows += lines.length;
    }
  return { rows };
}

export interface VerifyResult {
  backupId: string;
  verified: boolean;
  destinations: number;
  pruned: string[];
}

/**
 * Checks every copy; a verified backup then applies retention to each destination. A copy that
 * does not read back marks the backup's verification failed and fails the step (retention skipped).
 */
export async function verifyBackup(db: Db, backupId: string): Promise<VerifyResult> {
  const row = await backupRow(db, backupId);
  if (row.status !== "succeeded") throw new ConflictError(`The backup ${backupId} is ${row.status}, not succeeded.`);
  try {
    for (const record of row.destinations) await verifyCopy(destinationFor(record), backupId);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await db.execute(
      sql`update backups set verification = 'failed', verified_at = now(), error = ${message} where id = ${backupId}`,
    );
    throw error;
  }
  await db.execute(sql`update backups set verification = 'verified', verified_at = now() where id = ${backupId}`);
  const pruned = await applyRetention(db, backupId);
  return { backupId, verified: true, destinations: row.destinations.length, pruned };
}

/**
 * Retention, per destination: of the verified backups still there, the newest `BACKUP_KEEP_COUNT`
 * are kept unless older than `BACKUP_KEEP_DAYS`; the backup just verified is always kept. The
 * copies removed are recorded on their rows (`destinations[].prunedAt`).
 */
export async function applyRetention(db: Db, keepId: string, now = new Date()): Promise<string[]> {
  const rows = await queryRows<{ id: string; started_at: unknown; destinations: BackupDestinationRecord[] }>(
    db,
    sql`select id, started_at, destinations from backups
        where status = 'succeeded' and verification = 'verified' order by started_at desc, id desc`,
  );
  const pruned: string[] = [];
  const names = new Map(rows.flatMap((r) => r.destinations.map((d) => [`${d.kind}:${d.location}`, d] as const)));
  for (const [name, record] of names) {
    // A destination no longer configured here is left as it is (its copies are not ours to judge now).
    let destination: BackupDestination;
    try {
      destination = destinationFor(record);
    } catch (error) {
      if (error instanceof NotConfiguredError) continue;
      throw error;
    }
    const settings = retentionFor(record);
    const oldest = now.getTime() - settings.keepDays * 86_400_000;
    let kept = 0;
    for (const row of rows) {
      const index = row.destinations.findIndex((d) => `${d.kind}:${d.location}` === name && !d.prunedAt);
      if (index < 0) continue;
      const started = new Date(toIso(row.started_at) ?? 0).getTime();
      if (row.id === keepId || (kept < settings.keepCount && started >= oldest)) {
        kept++;
        continue;
      }
      await destination.remove(row.id);
      const destinations = row.destinations.map((d, i) => (i === index ? { ...d, prunedAt: now.toISOString() } : d));
      row.destinations = destinations;
      await db.execute(
        sql`update backups set destinations = ${JSON.stringify(destinations)}::jsonb where id = ${row.id}`,
      );
      // Gone from every destination: its parts' list goes too (the backups row stays, as history).
      if (destinations.every((d) => d.prunedAt))
        await db.execute(sql`delete from backup_parts where backup_id = ${row.id}`);
      pruned.push(`${row.id}@${row.destinations[index]!.name}`);
    }
  }
  return pruned;
}

/** The error handler: a running backup is marked failed and its partial copies removed; a finished one is left as it is. */
export async function failBackup(db: Db, backupId: string, reason: string): Promise<{ status: string }> {
  const [row] = await queryRows<{ status: string; destinations: BackupDestinationRecord[] }>(
    db,
    sql`update backups set status = 'failed', finished_at = now(), error = coalesce(error, ${reason.slice(0, 2_000)}),
          duration_ms = greatest(0, round(extract(epoch from now() - started_at) * 1000))::int
        where id = ${backupId} and (status = 'running' or (status = 'succeeded' and verification = 'failed'))
        returning status, destinations`,
  );
  if (!row) {
    const [current] = await queryRows<{ status: string }>(db, sql`select status from backups where id = ${backupId}`);
    return { status: current?.status ?? "missing" };
  }
  for (const record of row.destinations) await destinationFor(record).remove(backupId);
  return { status: row.status };
}
