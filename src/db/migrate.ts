/**
 * Applies the migrations that drizzle-kit generated into `drizzle/`.
 *
 * Why not drizzle's own migrator: it keeps a watermark (the newest applied timestamp) and
 * silently skips a migration with an older timestamp merged later, and it takes no lock, so
 * two instances starting together can both apply the same migration. Here:
 * - everything runs in ONE transaction that first takes `pg_advisory_xact_lock`; a second
 *   migrator waits, then sees the rows the first one wrote and applies nothing. The lock is
 *   transaction-scoped, so it also works through a transaction-mode pooler (Neon `-pooler`);
 * - applied migrations are tracked by tag in `schema_migrations`, with their SHA-256: every
 *   missing tag is applied, whatever its date, and an applied file that changed is an error;
 * - Postgres DDL is transactional, so a failing migration leaves nothing half-applied.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "./client";

/** Arbitrary constant for pg_advisory_xact_lock: "migr" in ASCII. */
const MIGRATION_LOCK_KEY = 0x6d696772;

export interface Migration {
  tag: string;
  hash: string;
  statements: string[];
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: number;
}

export class MigrationError extends Error {
  readonly code = "migration_error" as const;
}

export function defaultMigrationsFolder(): string {
  return path.join(process.cwd(), "drizzle");
}

/** Reads the migrations listed in drizzle-kit's journal, in journal order. */
export async function readMigrations(folder = defaultMigrationsFolder()): Promise<Migration[]> {
  const journal = JSON.parse(await readFile(path.join(folder, "meta", "_journal.json"), "utf8")) as {
    entries: { tag: string }[];
  };
  return Promise.all(
    journal.entries.map(async ({ tag }) => {
      const text = await readFile(path.join(folder, `${tag}.sql`), "utf8");
      const statements = text
        .split("--> statement-breakpoint")
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      // Hash with LF line ends: a checkout that converts to CRLF is not a changed migration.
      return { tag, hash: createHash("sha256").update(text.replace(/\r\n/g, "\n")).digest("hex"), statements };
    }),
  );
}

export async function migrate(db: Db, folder = defaultMigrationsFolder()): Promise<MigrateResult> {
  const migrations = await readMigrations(folder);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.execute(sql`
      create table if not exists schema_migrations (
        tag text primary key,
        hash text not null,
        applied_at timestamptz not null default now()
      )`);
    const done = await queryRows<{ tag: string; hash: string }>(tx, sql`select tag, hash from schema_migrations`);
    const appliedHashes = new Map(done.map((r) => [r.tag, r.hash]));
    const applied: string[] = [];
    for (const migration of migrations) {
      const known = appliedHashes.get(migration.tag);
      if (known !== undefined) {
        if (known !== migration.hash) {
          throw new MigrationError(
            `Migration ${migration.tag} was changed after it was applied; write a new migration instead.`,
          );
        }
        continue;
      }
      try {
        for (const statement of migration.statements) await tx.execute(sql.raw(statement));
      } catch (error) {
        const reason =
          error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
        throw new MigrationError(`Migration ${migration.tag} failed: ${reason}`, { cause: error });
      }
      await tx.execute(sql`insert into schema_migrations (tag, hash) values (${migration.tag}, ${migration.hash})`);
      applied.push(migration.tag);
    }
    return { applied, alreadyApplied: migrations.length - applied.length };
  });
}
