/**
 * The restore drill's scratch database (drill.ts):
 * - `BACKUP_DRILL_DATABASE_URL` set: a Postgres database kept for the drill (a Neon branch, a
 *   database of its own on the server…), opened through the same driver selection as the main
 *   database (pg, or Neon for a Neon host or `DATABASE_DRIVER=neon`). Each drill WIPES it: the
 *   `public` schema (every table, and the migrator's `schema_migrations`) and drizzle's own
 *   `drizzle` schema are dropped and `public` recreated, leaving the empty database a restore needs.
 *   Before wiping, it must be provably another database than the platform's own: refused when it
 *   has the platform's `current_database()` on the same server (`pg_control_system()`'s
 *   system identifier, else `inet_server_addr()`/`inet_server_port()`), when that cannot be told,
 *   or when it sees a lock the platform's connection holds at that moment (the same database
 *   reached through another address: a pooler, a proxy).
 * - not set: an embedded PGlite in a temporary folder (self-hosted, CI). Vercel's functions do not
 *   carry PGlite, so there the drill fails, saying to set BACKUP_DRILL_DATABASE_URL.
 */
import { randomInt } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { chooseDriver, openDb, queryRows, type Db, type DbHandle, type DriverName } from "@/db/client";
import { NotConfiguredError } from "@/errors";

export interface ScratchDatabase {
  db: Db;
  /** `pglite`, or the driver of BACKUP_DRILL_DATABASE_URL. */
  kind: DriverName;
  /** Closes it (and deletes the embedded one's folder). */
  close(): Promise<void>;
}

interface Identity {
  database: string;
  systemId: string | null;
  address: string | null;
}

/** The database's name and its server's identity; parts a server will not tell are null. */
async function identityOf(db: Db): Promise<Identity> {
  const [named] = await queryRows<{ database: string; address: string | null; port: number | null }>(
    db,
    sql`select current_database() as database, host(inet_server_addr()) as address, inet_server_port() as port`,
  );
  let systemId: string | null = null;
  try {
    const [control] = await queryRows<{ id: string }>(
      db,
      sql`select system_identifier::text as id from pg_control_system()`,
    );
    systemId = control?.id ?? null;
  } catch {
    // Not granted on this server: the address stands in for it.
  }
  return {
    database: named!.database,
    systemId,
    address: named!.address && named!.port ? `${named!.address}:${named!.port}` : null,
  };
}

/**
 * Throws unless `scratch` is provably not the platform's database. While it compares, the
 * platform's connection holds an advisory lock with a random key, and the scratch database looks
 * for it among its own locks: only the same database (through any address) sees it.
 */
export async function assertNotPlatformDatabase(platform: Db, scratch: Db): Promise<void> {
  const refuse = (why: string) =>
    new NotConfiguredError(
      `BACKUP_DRILL_DATABASE_URL ${why}: the drill wipes its database, so it must be a scratch database of its own (a Neon branch, a separate database), never the platform's.`,
    );
  const [own, other] = await Promise.all([identityOf(platform), identityOf(scratch)]);
  if (own.database === other.database) {
    const sameServer =
      own.systemId && other.systemId
        ? own.systemId === other.systemId
        : own.address && other.address
          ? own.address === other.address
          : true;
    if (sameServer)
      throw refuse(
        own.systemId && other.systemId
          ? `points at the platform's own database (${own.database} on the same server)`
          : `names a database called ${own.database}, like the platform's, on a server that cannot be told apart from the platform's`,
      );
  }
  const keys = [randomInt(1, 2 ** 31 - 1), randomInt(1, 2 ** 31 - 1)] as const;
  const seen = await platform.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${keys[0]}::int, ${keys[1]}::int)`);
    const rows = await queryRows<{ n: number }>(
      scratch,
      sql`select count(*)::int as n from pg_locks
          where locktype = 'advisory' and classid = ${keys[0]}::int::oid and objid = ${keys[1]}::int::oid
            and objsubid = 2 and database = (select oid from pg_database where datname = current_database())`,
    );
    return rows[0]!.n > 0;
  });
  if (seen) throw refuse(`reaches the platform's own database (${own.database}) through another address`);
}

/** Empties a scratch database: what a restore into an empty database needs. */
async function wipe(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`drop schema if exists drizzle cascade`);
    await tx.execute(sql`drop schema if exists public cascade`);
    await tx.execute(sql`create schema public`);
  });
}

/** The drill's scratch database: see the module's comment. `platform` is the platform's own database. */
export async function openScratchDatabase(
  platform: Db,
  source: NodeJS.ProcessEnv = process.env,
): Promise<ScratchDatabase> {
  const url = source.BACKUP_DRILL_DATABASE_URL?.trim();
  if (url) {
    let driver: DriverName;
    try {
      const forced = source.DATABASE_DRIVER?.trim();
      driver = chooseDriver(url, forced === "pg" || forced === "neon" ? forced : undefined);
    } catch {
      throw new NotConfiguredError("BACKUP_DRILL_DATABASE_URL is not a valid URL (postgres://user:pass@host:port/db).");
    }
    const handle: DbHandle = await openDb(url, driver, { maxConnections: 2 });
    try {
      await assertNotPlatformDatabase(platform, handle.db);
      await wipe(handle.db);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return { db: handle.db, kind: driver, close: () => handle.close() };
  }
  // Vercel's functions carry no embedded database (next.config.ts leaves PGlite out of them).
  if (source.VERCEL?.trim())
    throw new NotConfiguredError(
      "The restore drill needs a scratch database: Vercel functions carry no embedded one, so set BACKUP_DRILL_DATABASE_URL (a Neon branch or another database the drill may wipe).",
    );
  const dir = await mkdtemp(path.join(os.tmpdir(), "backup-drill-"));
  try {
    const handle = await openDb(undefined, "pglite", { pgliteDataDir: dir });
    return {
      db: handle.db,
      kind: "pglite",
      close: async () => {
        try {
          await handle.close();
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
