/**
 * Test databases. Every database test runs on PGlite, and also on real Postgres when
 * TEST_DATABASE_URL is set. Each test file gets its own database (a fresh in-memory PGlite, or
 * a new Postgres database created from TEST_DATABASE_URL and dropped afterwards), with the real
 * migrations applied, so files run in parallel without seeing each other.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe } from "vitest";
import { openDb, setDbHandle, type Db, type DbHandle, type DriverName, type OpenDbOptions } from "@/db/client";
import { migrate } from "@/db/migrate";

export type TestTarget = "pglite" | "postgres";

export const TEST_TARGETS: TestTarget[] = process.env.TEST_DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];

/** Creates an empty Postgres database next to TEST_DATABASE_URL's and returns its URL. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error("TEST_DATABASE_URL is not set");
  const name = `orch_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
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

/** A migrated database for one test file (`empty`: no migrations applied). */
export async function createTestDb(
  target: TestTarget,
  options: { driver?: DriverName; empty?: boolean } & OpenDbOptions = {},
): Promise<DbHandle> {
  if (target === "pglite") {
    const handle = await openDb(undefined, "pglite", { pgliteDataDir: "memory://", ...options });
    if (!options.empty) await migrate(handle.db);
    return handle;
  }
  const database = await createPostgresDatabase();
  const handle = await openDb(database.url, options.driver ?? "pg", options);
  if (!options.empty) await migrate(handle.db);
  return {
    db: handle.db,
    driver: handle.driver,
    close: async () => {
      await handle.close();
      await database.drop();
    },
  };
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
