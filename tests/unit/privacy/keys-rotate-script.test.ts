/**
 * `scripts/keys-rotate.ts` as an operator runs it: it reports the key versions (never the keys)
 * and exits 0 on a fresh (migrated) embedded database with nothing to rotate; a bad ENCRYPTION_KEYS exits 1 with the clean message.
 * (Rotating actual tables is proven in tests/db/privacy/rotate.test.ts.)
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const SCRIPT = path.resolve("scripts/keys-rotate.ts");
const TSX = path.resolve("node_modules/.bin/tsx");

async function rotate(keys: string): Promise<{ code: number; output: string }> {
  // A private DATA_DIR and no DATABASE_URL: the script can never reach a developer's data.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: mkdtempSync(path.join(tmpdir(), "keys-rotate-")),
    ENCRYPTION_KEYS: keys,
  };
  delete env.DATABASE_URL;
  try {
    const { stdout, stderr } = await run(TSX, [SCRIPT], { env, timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

describe("npm run keys:rotate", () => {
  it("reports the versions and exits 0 on a database with nothing to rotate, without printing a key", async () => {
    const k1 = randomBytes(32).toString("base64");
    const k2 = randomBytes(32).toString("base64");
    const { code, output } = await rotate(`1:${k1},2:${k2}`);
    expect(code).toBe(0);
    expect(output).toContain("Current key version: 2 (configured: 1, 2).");
    expect(output).toContain("orders: 0 row(s) rewritten");
    expect(output).toContain("Done: every registered value is under version 2.");
    expect(output).not.toContain(k1.slice(0, 12));
    expect(output).not.toContain(k2.slice(0, 12));
    // A whole process that compiles, migrates an embedded database and walks every registered
    // table: bounded by the 60 s given to execFile, not vitest's 30 s default (on a loaded machine).
  }, 90_000);

  it("exits 1 on an invalid ENCRYPTION_KEYS with the problem named and the key not quoted", async () => {
    const short = randomBytes(16).toString("base64");
    const { code, output } = await rotate(`1:${short}`);
    expect(code).toBe(1);
    expect(output).toContain(
      "Invalid ENCRYPTION_KEYS: entry 1 (version 1): the key decodes to 16 bytes, expected exactly 32",
    );
    expect(output).not.toContain(short.slice(0, 12));
  });
});
