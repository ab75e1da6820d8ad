/**
 * What the backup tests share: the backup settings a file runs with (set before its suites, the
 * previous values put back after), and a backup taken by running workflows/platform_backup.yaml.
 */
import { afterAll, beforeAll, expect } from "vitest";
import type { Db } from "@/db/client";
import { startRun } from "@/engine/start-run";
import { runUntilDone } from "./engine";

/**
 * Sets `env` in process.env for the whole file: `prepare` runs first (in the file's beforeAll)
 * to add what needs the test's set-up (a server's port, a folder under DATA_DIR). Answers `env`,
 * which then holds everything set.
 */
export function backupEnvForFile(
  env: Record<string, string>,
  prepare?: (env: Record<string, string>) => void | Promise<void>,
): Record<string, string> {
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    await prepare?.(env);
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  return env;
}

/** Runs platform_backup to its end (it must succeed, its steps' errors shown if not); its id. */
export async function backupNow(db: Db): Promise<string> {
  const run = await startRun(db, { workflow: "platform_backup", input: { trigger: "manual" } });
  const done = await runUntilDone(db, run.id, 60_000);
  expect(done.status, JSON.stringify(done.steps.filter((s) => s.error).map((s) => s.error))).toBe("succeeded");
  return run.id;
}
