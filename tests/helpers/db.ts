/**
 * Test databases. Every database test runs on PGlite, and also on real Postgres when
 * TEST_DATABASE_URL is set. Each test file gets its own database (an in-memory PGlite, or a new
 * Postgres database next to TEST_DATABASE_URL's, dropped at the end of the run), so files run in
 * parallel without seeing each other. The real migrations are applied once, into the
 * templates the global setup prepares (tests/helpers/db-templates.ts), and each database is a
 * clone of one: loaded from a data directory dump on PGlite, `CREATE DATABASE … TEMPLATE` on
 * Postgres.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, inject } from "vitest";
import { openDb, setDbHandle, type Db, type DbHandle, type DriverName, type OpenDbOptions } from "@/db/client";
import { databaseUrl } from "./db-templates";

export type TestTarget = "pglite" | "postgres";

export const TEST_TARGETS: TestTarget[] = process.env.TEST_DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];

/**
 * Creates a Postgres database next to TEST_DATABASE_URL's and returns its URL: empty, or with
 * `migrated`, a clone of the suite's migrated template.
 */
export async function createPostgresDatabase(
  options: { migrated?: boolean } = {},
): Promise<{ url: string; drop(): Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error("TEST_DATABASE_URL is not set");
  const name = `orch_test_${inject("testRunId")}_${randomBytes(6).toString("hex")}`;
  const template = options.migrated ? inject("postgresTemplate") : "";
  if (options.migrated && !template)
    throw new Error("no migrated template: is tests/helpers/global-setup.ts registered?");
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`create database ${name}${template ? ` template ${template}` : ""}`);
    // A test database need not survive a crash of the Postgres server: its commits return
    // without waiting for the WAL flush (0.7 ms each on this disk, thousands per engine file).
    // What a commit makes visible to other sessions is unchanged, so no test reads differently;
    // the benchmarks and the rehearsal keep the server's durable setting.
    await admin.query(`alter database ${name} set synchronous_commit = off`);
  } finally {
    await admin.end();
  }
  return {
    url: databaseUrl(base, name),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * A database for one test file: migrated, or with `empty`, with no migration applied (for the
 * tests of the migrator itself).
 */
export async function createTestDb(
  target: TestTarget,
  options: { driver?: DriverName; empty?: boolean } & OpenDbOptions = {},
): Promise<DbHandle> {
  if (target === "pglite") {
    const templates = inject("pgliteTemplates");
    const dump = new Blob([await readFile(options.empty ? templates.empty : templates.migrated)]);
    return openDb(undefined, "pglite", { pgliteDataDir: "memory://", pgliteLoadDataDir: dump, ...options });
  }
  // Not dropped when the file ends: the global teardown drops the run's databases together. Each
  // DROP DATABASE waits for a checkpoint, which flushes every test database written since the last
  // one (seconds per file, holding its worker); at the end of the run, one after another, they are quick.
  const database = await createPostgresDatabase({ migrated: !options.empty });
  return openDb(database.url, options.driver ?? "pg", options);
}

export interface DbSuite {
  target: TestTarget;
  db(): Db;
}

/**
 * Declares the suite once per target. Inside, `suite.db()` is the file's database, and it is
 * also the process-wide handle, so route handlers called by the tests use it.
 */
export function describeDb(name: string, body: (suite: DbSuite) => void): void {
  for (const target of TEST_TARGETS) {
    describe(`${name} [${target}]`, () => {
      let handle: DbHandle | undefined;
      beforeAll(async () => {
        handle = await createTestDb(target);
        setDbHandle(handle);
      });
      afterAll(async () => {
        setDbHandle(undefined);
        await handle?.close();
      });
      body({
        target,
        db: () => {
          if (!handle) throw new Error("the test database is not open yet");
          return handle.db;
        },
      });
    });
  }
}
