/**
 * Restoring a backup into an EMPTY database (`npm run backup:restore -- <manifest>`, and the
 * restore drill). In one transaction, so a failure at any point leaves the database empty again:
 * 1. the manifest's HMAC is checked under the key (the wrong key is named before any part is read);
 * 2. the database must have nothing in its `public` schema (a non-empty one is refused);
 * 3. the migrations up to the backup's schema version are applied, and the rows their seeds wrote
 *    removed (the backup holds those tables as they were);
 * 4. tables are loaded parents first; every part's SHA-256 is checked, it is decrypted (GCM checks
 *    it again) and its row count compared with the manifest before a row of it is inserted; a row
 *    whose parent is not in the backup (added while a backup ran, see plan.ts) is skipped and counted;
 * 5. each table's row count is compared with what was inserted, every sequence is set past both
 *    its saved value and the largest value of its column, backups and drills that were running
 *    are marked interrupted (their runs must not write into the copy they belong to), and the
 *    migrations newer than the backup are applied.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { defaultMigrationsFolder, migrate, readMigrations } from "@/db/migrate";
import { ConflictError } from "@/errors";
import { ident, readTables, type TableInfo } from "./catalog";
import type { BackupKey } from "./config";
import type { BackupDestination } from "./destination";
import { BackupIntegrityError, MANIFEST_FILE, openPart, readManifest, sha256, type Manifest } from "./format";

/** Reads a backup's files: its manifest and its parts. */
export interface BackupReader {
  readonly description: string;
  get(file: string): Promise<Buffer>;
}

/** A backup in a local folder, from the path of its manifest (or of its folder). */
export function localReader(manifestPath: string): BackupReader {
  const resolved = path.resolve(manifestPath);
  const folder = path.basename(resolved) === MANIFEST_FILE ? path.dirname(resolved) : resolved;
  return {
    description: folder,
    get: (file) => {
      if (file.includes("/") || file.includes("\\") || file.startsWith("."))
        throw new Error(`unsafe file name ${file}`);
      return readFile(path.join(folder, file));
    },
  };
}

/** A backup on a destination (the drill; an s3:// address on the command line). */
export function destinationReader(destination: BackupDestination, backupId: string): BackupReader {
  return {
    description: `${destination.record.location}/${backupId}`,
    get: (file) => destination.get(backupId, file),
  };
}

export interface RestoredTable {
  name: string;
  rows: number;
  inserted: number;
  /** Rows whose parent row is not in the backup (added while it ran): not restored. */
  skipped: number;
}

export interface RestoreResult {
  backupId: string;
  schemaVersion: string;
  tables: RestoredTable[];
  rows: number;
  skipped: number;
  /** Bytes of parts read (encrypted, compressed). */
  bytes: number;
  /** Bytes of NDJSON restored (uncompressed). */
  rawBytes: number;
  durationMs: number;
  migrationsAfter: string[];
}

export interface RestoreOptions {
  key: BackupKey;
  migrationsFolder?: string;
  onProgress?: (message: string) => void;
  /** Rows per INSERT (default 1,000). */
  batchRows?: number;
}

/** Refuses a database that has anything in its `public` schema. */
export async function assertEmptyDatabase(db: Db): Promise<void> {
  const rows = await queryRows<{ name: string }>(
    db,
    sql`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p', 'S', 'v', 'm') order by c.relname limit 6`,
  );
  if (rows.length > 0)
    throw new ConflictError(
      `The database is not empty (it has ${rows
        .slice(0, 5)
        .map((r) => r.name)
        .join(", ")}${rows.length > 5 ? ", …" : ""}): a backup is restored into an empty database only.`,
      { relations: rows.map((r) => r.name) },
    );
}

/** A folder holding the journal's migrations up to `tag` (the migrator applies a folder). */
async function migrationsUpTo(folder: string, tag: string): Promise<{ dir: string; newer: string[] }> {
  const all = await readMigrations(folder);
  const index = all.findIndex((m) => m.tag === tag);
  if (index < 0)
    throw new ConflictError(
      `This release does not know the backup's schema version ${tag}: restore it with the release that took it (or a newer one).`,
    );
  const dir = await mkdtemp(path.join(os.tmpdir(), "restore-migrations-"));
  await mkdir(path.join(dir, "meta"));
  const journal = JSON.parse(await readFile(path.join(folder, "meta", "_journal.json"), "utf8")) as {
    entries: { tag: string }[];
  };
  const kept = journal.entries.slice(0, index + 1);
  await writeFile(path.join(dir, "meta", "_journal.json"), JSON.stringify({ ...journal, entries: kept }));
  for (const entry of kept) await copyFile(path.join(folder, `${entry.tag}.sql`), path.join(dir, `${entry.tag}.sql`));
  return { dir, newer: all.slice(index + 1).map((m) => m.tag) };
}

function insertStatement(table: TableInfo, json: string) {
  const columns = table.columns.filter((c) => !c.generated);
  const list = columns.map((c) => ident(c.name)).join(", ");
  const selected = columns.map((c) => `r.${ident(c.name)}`).join(", ");
  const overriding = table.columns.some((c) => c.identity) ? " overriding system value" : "";
  // A row whose parent is absent (MATCH SIMPLE: a null column means no parent) is skipped.
  const conditions = table.foreignKeys
    .filter((fk) => fk.parent !== table.name)
    .map((fk) => {
      const nullable = fk.columns.map((c) => `r.${ident(c)} is null`).join(" or ");
      const match = fk.columns.map((c, i) => `p.${ident(fk.parentColumns[i]!)} = r.${ident(c)}`).join(" and ");
      return `(${nullable} or exists (select 1 from ${ident(fk.parent)} p where ${match}))`;
    });
  const where = conditions.length > 0 ? ` where ${conditions.join(" and ")}` : "";
  return sql`with inserted as (
      insert into ${sql.raw(ident(table.name))} (${sql.raw(list)})${sql.raw(overriding)}
      select ${sql.raw(selected)} from json_populate_recordset(null::${sql.raw(ident(table.name))}, ${json}::json) r${sql.raw(where)}
      returning 1)
    select count(*) as n from inserted`;
}

async function fixSequences(db: Db, manifest: Manifest): Promise<void> {
  const saved = new Map(manifest.sequences.map((s) => [s.name, s.value]));
  const sequences = await queryRows<{ name: string; owner: string | null; column: string | null }>(
    db,
    sql`select s.relname as name, t.relname as owner, a.attname as column
        from pg_class s join pg_namespace n on n.oid = s.relnamespace
        left join pg_depend d on d.objid = s.oid and d.deptype in ('a', 'i') and d.classid = 'pg_class'::regclass
        left join pg_class t on t.oid = d.refobjid
        left join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
        where n.nspname = 'public' and s.relkind = 'S' order by s.relname`,
  );
  for (const s of sequences) {
    const value = saved.get(s.name) ?? null;
    const max =
      s.owner && s.column
        ? sql`(select max(${sql.raw(ident(s.column))})::bigint from ${sql.raw(ident(s.owner))})`
        : sql`null::bigint`;
    // setval(…, n, true): the next value is n + 1. Untouched when neither a saved value nor a row exists.
    await db.execute(sql`select setval(${`public.${ident(s.name)}`}::regclass, v, true)
      from (select greatest(${value}::bigint, ${max}) as v) x where v is not null`);
  }
}

export async function restoreBackup(db: Db, reader: BackupReader, options: RestoreOptions): Promise<RestoreResult> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => undefined);
  const manifest = readManifest(options.key, (await reader.get(MANIFEST_FILE)).toString("utf8"));
  const folder = options.migrationsFolder ?? defaultMigrationsFolder();
  const batchRows = options.batchRows ?? 1_000;
  await assertEmptyDatabase(db);
  const { dir, newer } = await migrationsUpTo(folder, manifest.schemaVersion);
  try {
    return await db.transaction(async (tx) => {
      // The check again, inside the transaction (another restore may have started meanwhile).
      await assertEmptyDatabase(tx);
      await migrate(tx, dir);
      progress(`migrated to ${manifest.schemaVersion}`);
      const tables = await readTables(tx);
      const byName = new Map(tables.map((t) => [t.name, t]));
      for (const t of manifest.tables)
        if (!byName.has(t.name))
          throw new BackupIntegrityError(`the backup has a table ${t.name} that its schema version does not create`);
      const restoredTables = tables.filter((t) => manifest.tables.some((m) => m.name === t.name));
      // Rows the migrations seeded (built-in alert rules…): the backup has these tables as they were.
      for (const t of [...restoredTables].reverse()) await tx.execute(sql`delete from ${sql.raw(ident(t.name))}`);
      const results: RestoredTable[] = [];
      let bytes = 0;
      let rawBytes = 0;
      for (const table of restoredTables) {
        const entry = manifest.tables.find((m) => m.name === table.name)!;
        let inserted = 0;
        let read = 0;
        for (const part of entry.parts) {
          const data = await reader.get(part.file);
          if (data.length !== part.bytes || sha256(data) !== part.sha256)
            throw new BackupIntegrityError(`${part.file} does not match its SHA-256 in the manifest`);
          const lines = await openPart(options.key, `${manifest.backupId}/${part.file}`, data);
          if (lines.length !== part.rows)
            throw new BackupIntegrityError(`${part.file} holds ${lines.length} rows, the manifest says ${part.rows}`);
          bytes += data.length;
          for (let i = 0; i < lines.length; i += batchRows) {
            const batch = lines.slice(i, i + batchRows);
            const json = `[${batch.join(",")}]`;
            rawBytes += json.length;
            const [row] = await queryRows<{ n: string | number }>(tx, insertStatement(table, json));
            inserted += Number(row?.n ?? 0);
          }
          read += lines.length;
        }
        if (read !== entry.rows)
          throw new BackupIntegrityError(`${table.name}: the parts hold ${read} rows, the manifest says ${entry.rows}`);
        const [count] = await queryRows<{ n: string | number }>(
          tx,
          sql`select count(*) as n from ${sql.raw(ident(table.name))}`,
        );
        if (Number(count?.n) !== inserted)
          throw new BackupIntegrityError(
            `${table.name}: ${count?.n} rows after the restore, ${inserted} were inserted`,
          );
        results.push({ name: table.name, rows: entry.rows, inserted, skipped: entry.rows - inserted });
        progress(
          `${table.name}: ${inserted} rows${entry.rows > inserted ? ` (${entry.rows - inserted} without their parent, skipped)` : ""}`,
        );
      }
      await fixSequences(tx, manifest);
      // Backups and drills that were running when this one was taken never resume in the copy.
      if (byName.has("backups"))
        await tx.execute(sql`update backups set status = 'interrupted', finished_at = coalesce(finished_at, now()),
          error = 'Interrupted: the database was restored from a backup taken while this one ran.' where status = 'running'`);
      if (byName.has("backup_drills"))
        await tx.execute(sql`update backup_drills set status = 'failed', finished_at = coalesce(finished_at, now()),
          error = 'Interrupted: the database was restored from a backup taken while this drill ran.' where status = 'running'`);
      const after = await migrate(tx, folder);
      if (newer.length > 0) progress(`applied the migrations newer than the backup: ${after.applied.join(", ")}`);
      return {
        backupId: manifest.backupId,
        schemaVersion: manifest.schemaVersion,
        tables: results,
        rows: results.reduce((sum, t) => sum + t.inserted, 0),
        skipped: results.reduce((sum, t) => sum + t.skipped, 0),
        bytes,
        rawBytes,
        durationMs: Math.round(performance.now() - started),
        migrationsAfter: after.applied,
      };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
