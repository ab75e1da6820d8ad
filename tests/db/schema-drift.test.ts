/**
 * The schema (src/db/schema/) and the committed migrations (drizzle/) agree: drizzle-kit, run
 * against a copy of drizzle/, would generate nothing new. A schema change committed without its
 * migration fails here, naming the SQL that `npm run db:generate` would write.
 *
 * No database: drizzle-kit diffs the schema against the latest snapshot in drizzle/meta.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const DRIZZLE_KIT = path.resolve("node_modules/drizzle-kit/bin.cjs");
const SCHEMA = path.resolve("src/db/schema/index.ts");
const MIGRATIONS = path.resolve("drizzle");

/** Every file below `folder`, as paths relative to it. */
async function filesBelow(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(folder, path.join(e.parentPath, e.name)))
    .sort();
}

/** `drizzle-kit generate` in `cwd`; its output, whether it exits 0 or not. */
async function generate(cwd: string): Promise<string> {
  // No TTY: where drizzle-kit would ask a question (is a dropped and an added column a rename?)
  // it fails at once, and the test fails with its words, instead of waiting for an answer.
  const generating = run(process.execPath, [DRIZZLE_KIT, "generate", "--config", "drizzle.config.ts"], {
    cwd,
    timeout: 60_000,
  });
  try {
    const { stdout, stderr } = await generating;
    return `${stdout}${stderr}`;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    return `${failed.message}\n${failed.stdout ?? ""}${failed.stderr ?? ""}`;
  }
}

describe("schema drift", () => {
  let workDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), "schema-drift-"));
    await cp(MIGRATIONS, path.join(workDir, "drizzle"), { recursive: true });
    // The config holds no import: drizzle-kit loads it from the temporary folder, where
    // `drizzle-kit` itself does not resolve. drizzle-kit reads `out` relative to its working
    // directory, so it runs in that folder.
    await writeFile(
      path.join(workDir, "drizzle.config.ts"),
      `export default ${JSON.stringify({ dialect: "postgresql", schema: SCHEMA, out: "./drizzle", strict: true })};\n`,
    );
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it("drizzle-kit generate writes no new migration", async () => {
    const before = await filesBelow(path.join(workDir, "drizzle"));
    const output = await generate(workDir);

    const after = await filesBelow(path.join(workDir, "drizzle"));
    const added = after.filter((f) => !before.includes(f));
    const written = await Promise.all(
      added
        .filter((f) => f.endsWith(".sql"))
        .map(async (f) => `${f}:\n${await readFile(path.join(workDir, "drizzle", f), "utf8")}`),
    );
    expect(added, `the schema differs from drizzle/; npm run db:generate would write:\n${written.join("\n")}`).toEqual(
      [],
    );
    // drizzle-kit exits 0 on some failures (an unreadable snapshot), so its own words decide.
    expect(output, "drizzle-kit did not finish its comparison").toContain("No schema changes");
  }, 90_000);
});
