/**
 * The migrator (src/db/migrate.ts): applies every journal entry once, tracks them by tag with a
 * hash, serialises concurrent runs with an advisory lock, and is all-or-nothing.
 *
 * Runs on PGlite, and on real Postgres too when TEST_DATABASE_URL is set. The concurrency test
 * needs two real connections, so it runs on Postgres only.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, queryRows, type Db, type DbHandle } from "@/db/client";
import { defaultMigrationsFolder, migrate, MigrationError } from "@/db/migrate";
import { createPostgresDatabase, createTestDb, TEST_TARGETS, type TestTarget } from "../helpers/db";

interface JournalEntry {
  idx: number;
  version: string;
  when: number;
  tag: string;
  breakpoints: boolean;
}

/** The tags of the real migrations, in journal order. */
async function journalTags(folder = defaultMigrationsFolder()): Promise<string[]> {
  const journal = JSON.parse(await readFile(path.join(folder, "meta", "_journal.json"), "utf8")) as {
    entries: JournalEntry[];
  };
  return journal.entries.map((e) => e.tag);
}

/** An EMPTY database (no migrations applied) on the target. */
function openEmptyDb(target: TestTarget): Promise<DbHandle> {
  return createTestDb(target, { empty: true });
}

async function appliedRows(db: Db, tags?: string[]): Promise<{ tag: string; hash: string }[]> {
  const rows = await queryRows<{ tag: string; hash: string }>(
    db,
    sql`select tag, hash from schema_migrations order by tag`,
  );
  return tags ? rows.filter((r) => tags.includes(r.tag)) : rows;
}

async function tableExists(db: Db, name: string): Promise<boolean> {
  const [row] = await queryRows<{ found: string | null }>(db, sql`select to_regclass(${name})::text as found`);
  return row?.found != null;
}

/** A migrations folder of our own: `migrations` in journal order, each a list of statements. */
async function writeMigrationsFolder(
  folder: string,
  migrations: { tag: string; when: number; statements: string[] }[],
): Promise<void> {
  await mkdir(path.join(folder, "meta"), { recursive: true });
  const entries: JournalEntry[] = migrations.map((m, idx) => ({
    idx,
    version: "7",
    when: m.when,
    tag: m.tag,
    breakpoints: true,
  }));
  await writeFile(
    path.join(folder, "meta", "_journal.json"),
    JSON.stringify({ version: "7", dialect: "postgresql", entries }, null, 2),
  );
  for (const m of migrations) {
    await writeFile(path.join(folder, `${m.tag}.sql`), m.statements.join("\n--> statement-breakpoint\n") + "\n");
  }
}

let tempRoot: string | undefined;
beforeAll(async () => {
  tempRoot = await mkdtemp(path.join(tmpdir(), "migrate-test-"));
});
afterAll(async () => {
  if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
});

let folderCount = 0;
function tempFolder(name: string): string {
  if (!tempRoot) throw new Error("no temp folder yet");
  return path.join(tempRoot, `${++folderCount}-${name}`);
}

for (const target of TEST_TARGETS) {
  describe(`migrate [${target}]`, () => {
    describe("on a fresh database", () => {
      // Opened in a hook: PGlite takes seconds to start, which belongs to no test's budget.
      let fresh: DbHandle | undefined;
      beforeAll(async () => {
        fresh = await openEmptyDb(target);
      });
      afterAll(async () => {
        await fresh?.close();
      });

      it("applies every migration of the journal, in order, and a second run applies none", async () => {
        if (!fresh) throw new Error("the fresh database is not open");
        const handle = fresh;
        const tags = await journalTags();
        expect(tags.length).toBeGreaterThan(0);
        const first = await migrate(handle.db);
        expect(first).toEqual({ applied: tags, alreadyApplied: 0 });
        expect((await appliedRows(handle.db)).map((r) => r.tag)).toEqual([...tags].sort());
        for (const table of ["api_keys", "audit_log"]) expect(await tableExists(handle.db, table)).toBe(true);

        const second = await migrate(handle.db);
        expect(second).toEqual({ applied: [], alreadyApplied: tags.length });
        expect(await appliedRows(handle.db)).toHaveLength(tags.length);
      });
    });

    // One database for the tests below: each uses its own tags and tables, so they do not meet.
    describe("on a shared scratch database", () => {
      let scratch: DbHandle | undefined;
      const db = () => {
        if (!scratch) throw new Error("the scratch database is not open");
        return scratch.db;
      };
      beforeAll(async () => {
        scratch = await openEmptyDb(target);
      });
      afterAll(async () => {
        await scratch?.close();
      });

      it("refuses, naming the tag, to run when an applied migration's file was changed afterwards", async () => {
        const folder = tempFolder("changed");
        await cp(defaultMigrationsFolder(), folder, { recursive: true });
        const tags = await journalTags(folder);
        await migrate(db(), folder);
        const before = await appliedRows(db(), tags);

        const tag = tags[0]!;
        const file = path.join(folder, `${tag}.sql`);
        await writeFile(file, (await readFile(file, "utf8")) + "\n-- edited after it was applied\n");

        const run = migrate(db(), folder);
        await expect(run).rejects.toBeInstanceOf(MigrationError);
        await expect(run).rejects.toThrow(tag);
        expect(await appliedRows(db(), tags)).toEqual(before); // the stored hashes are untouched
      });

      it("applies a journal entry missing from schema_migrations even when it sits before applied ones (merged later)", async () => {
        const folder = tempFolder("merged-later");
        const later = {
          tag: "0001_later_branch",
          when: 2_000,
          statements: ["create table mig_later (id int primary key)", "insert into mig_later values (1)"],
        };
        const earlier = {
          tag: "0000_earlier_branch",
          when: 1_000,
          statements: ["create table mig_earlier (id int primary key)", "insert into mig_earlier values (1), (2)"],
        };

        // Main has only the newer migration, and it is applied.
        await writeMigrationsFolder(folder, [later]);
        expect(await migrate(db(), folder)).toEqual({ applied: [later.tag], alreadyApplied: 0 });

        // Then a branch with an OLDER migration is merged: the journal now lists it first.
        await writeMigrationsFolder(folder, [earlier, later]);
        expect(await migrate(db(), folder)).toEqual({ applied: [earlier.tag], alreadyApplied: 1 });
        expect((await appliedRows(db(), [earlier.tag, later.tag])).map((r) => r.tag)).toEqual([earlier.tag, later.tag]);
        const [count] = await queryRows<{ n: number }>(db(), sql`select count(*)::int as n from mig_earlier`);
        expect(count?.n).toBe(2);

        expect(await migrate(db(), folder)).toEqual({ applied: [], alreadyApplied: 2 });
      });

      it("leaves nothing half-applied when a statement of a migration fails, and applies it once fixed", async () => {
        const folder = tempFolder("failing");
        const tag = "0000_fails_halfway";
        await writeMigrationsFolder(folder, [
          {
            tag,
            when: 1_000,
            statements: ["create table mig_half (id int primary key)", "insert into mig_no_such_table values (1)"],
          },
        ]);

        await expect(migrate(db(), folder)).rejects.toThrow();
        expect(await tableExists(db(), "mig_half")).toBe(false);
        expect(await appliedRows(db(), [tag])).toEqual([]);

        // Nothing was recorded, so the corrected file is applied (no "changed after applied" error).
        await writeMigrationsFolder(folder, [
          {
            tag,
            when: 1_000,
            statements: ["create table mig_half (id int primary key)", "insert into mig_half values (1)"],
          },
        ]);
        expect(await migrate(db(), folder)).toEqual({ applied: [tag], alreadyApplied: 0 });
        expect(await tableExists(db(), "mig_half")).toBe(true);
      });
    });
  });
}

describe.skipIf(!process.env.TEST_DATABASE_URL)("migrate, two processes at once [postgres]", () => {
  it("serialises two migrators started together on an empty database: one applies everything, the other nothing", async () => {
    const database = await createPostgresDatabase();
    // Two pools = two processes (each its own connections, nothing shared in memory).
    const a = await openDb(database.url, "pg");
    const b = await openDb(database.url, "pg");
    try {
      // Connect both first, so the two migrations start as close together as possible.
      await Promise.all([a.db.execute(sql`select 1`), b.db.execute(sql`select 1`)]);
      const tags = await journalTags();

      const results = await Promise.all([migrate(a.db), migrate(b.db)]);

      const winners = results.filter((r) => r.applied.length > 0);
      const losers = results.filter((r) => r.applied.length === 0);
      expect(winners).toEqual([{ applied: tags, alreadyApplied: 0 }]);
      expect(losers).toEqual([{ applied: [], alreadyApplied: tags.length }]);

      const rows = await queryRows<{ tag: string; n: number }>(
        a.db,
        sql`select tag, count(*)::int as n from schema_migrations group by tag order by tag`,
      );
      expect(rows).toEqual([...tags].sort().map((tag) => ({ tag, n: 1 })));
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});
