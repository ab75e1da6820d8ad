/**
 * Database templates for the test suite: the migrations are applied once (by the
 * global setup, tests/helpers/global-setup.ts), and every test file clones the result instead
 * of migrating a database of its own (tests/helpers/db.ts). Both kinds are keyed by a hash of
 * drizzle/ (and of the PGlite version), so a changed migration makes new ones.
 * - PGlite: dumps of a data directory (`dumpDataDir`), one right after initdb (`empty`) and one
 *   migrated, kept as files in the temporary directory, loaded by `PGlite.create({ loadDataDir })`;
 * - Postgres: a database next to TEST_DATABASE_URL's, named by the hash and kept, cloned by
 *   `CREATE DATABASE … TEMPLATE` (one per set of migrations stays in the cluster: drop the
 *   `orch_template_*` databases to reclaim them).
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import pg from "pg";
import { openDb, type Db } from "@/db/client";
import * as schema from "@/db/schema";
import { defaultMigrationsFolder, migrate } from "@/db/migrate";

export interface PgliteTemplates {
  /** A data directory dump right after initdb: no migration applied. */
  empty: string;
  /** The same with every migration of drizzle/ applied. */
  migrated: string;
}

function filesBelow(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** A hash of every file of the migrations folder and of the PGlite version (its data directory format). */
export function migrationsHash(folder = defaultMigrationsFolder()): string {
  const hash = createHash("sha256");
  const pglite = JSON.parse(
    readFileSync(path.join(process.cwd(), "node_modules", "@electric-sql", "pglite", "package.json"), "utf8"),
  ) as { version: string };
  hash.update(`pglite ${pglite.version}\0`);
  for (const file of filesBelow(folder))
    hash.update(path.relative(folder, file)).update("\0").update(readFileSync(file, "utf8").replace(/\r\n/g, "\n"));
  return hash.digest("hex").slice(0, 16);
}

/** Writes through a temporary name: a concurrent suite never reads a half-written template. */
function writeAtomically(file: string, data: Uint8Array): void {
  const partial = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(partial, data);
  renameSync(partial, file);
}

async function dumpPglite(migrated: boolean): Promise<Uint8Array> {
  const client = await PGlite.create("memory://");
  try {
    if (migrated) await migrate(drizzle({ client, schema }) as unknown as Db);
    return new Uint8Array(await (await client.dumpDataDir("gzip")).arrayBuffer());
  } finally {
    await client.close();
  }
}

/** The PGlite templates for the current migrations, made when missing. */
export async function preparePgliteTemplates(
  cacheDir = path.join(tmpdir(), "orchestrator-test-templates"),
): Promise<PgliteTemplates> {
  mkdirSync(cacheDir, { recursive: true });
  const key = migrationsHash();
  const templates = {
    empty: path.join(cacheDir, `pglite-empty-${key}.tgz`),
    migrated: path.join(cacheDir, `pglite-migrated-${key}.tgz`),
  };
  if (!existsSync(templates.empty)) writeAtomically(templates.empty, await dumpPglite(false));
  if (!existsSync(templates.migrated)) writeAtomically(templates.migrated, await dumpPglite(true));
  return templates;
}

async function withAdmin<T>(baseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A URL for database `name` on the server of `baseUrl`. */
export function databaseUrl(baseUrl: string, name: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * The migrated template database for the current migrations next to `baseUrl`'s, made when
 * missing: `orch_template_<hash>`. It is built under a name of its own and renamed when complete,
 * so a concurrent suite never clones a half-migrated one (the loser of a race drops its copy),
 * and it accepts no connection once built: `CREATE DATABASE … TEMPLATE` refuses a template that
 * anyone is connected to.
 */
export async function preparePostgresTemplate(baseUrl: string): Promise<string> {
  const name = `orch_template_${migrationsHash()}`;
  const exists = await withAdmin(baseUrl, async (admin) => {
    const found = await admin.query("select 1 from pg_database where datname = $1", [name]);
    return found.rowCount === 1;
  });
  if (exists) return name;
  const building = `${name}_${randomBytes(4).toString("hex")}`;
  await withAdmin(baseUrl, (admin) => admin.query(`create database ${building}`));
  try {
    const handle = await openDb(databaseUrl(baseUrl, building), "pg", { maxConnections: 1 });
    try {
      await migrate(handle.db);
    } finally {
      await handle.close();
    }
    await withAdmin(baseUrl, async (admin) => {
      await admin.query(`alter database ${building} with allow_connections false`);
      await admin.query(`alter database ${building} rename to ${name}`);
    });
  } catch (error) {
    await withAdmin(baseUrl, (admin) => admin.query(`drop database if exists ${building} with (force)`));
    // A concurrent suite built it first: use theirs.
    if ((error as { code?: string }).code === "42P04") return name;
    throw error;
  }
  return name;
}

/** Drops every database whose name starts with `prefix` (the test databases of one run). */
export async function dropDatabases(baseUrl: string, prefix: string): Promise<void> {
  await withAdmin(baseUrl, async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(
      "select datname from pg_database where starts_with(datname, $1)",
      [prefix],
    );
    for (const { datname } of rows) await admin.query(`drop database if exists ${datname} with (force)`);
  });
}
