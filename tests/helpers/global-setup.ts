/**
 * Once per `vitest run`, before any test file:
 * - the database templates (tests/helpers/db-templates.ts): every test file clones a migrated
 *   database instead of migrating its own;
 * - the production build, when an end-to-end file is selected (they start the app with
 *   `npm start`, tests/helpers/app-process.ts) and .next is older than the sources. Built here,
 *   while no test runs, instead of inside the first e2e file's start, where it held one worker
 *   and the start lock while the other worker's e2e file waited. The start lock is held while it
 *   builds, so a rehearsal or another suite in this checkout never builds at the same time.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { acquireStartLock } from "../../scripts/rehearse/start-lock";
import { buildIfStale } from "../../scripts/source-hash.mjs";
import { dropDatabases, preparePgliteTemplates, preparePostgresTemplate, type PgliteTemplates } from "./db-templates";

declare module "vitest" {
  export interface ProvidedContext {
    pgliteTemplates: PgliteTemplates;
    /** The migrated template database next to TEST_DATABASE_URL's ("" without TEST_DATABASE_URL). */
    postgresTemplate: string;
    /** Names this run's Postgres test databases (`orch_test_<id>_…`), dropped by the teardown. */
    testRunId: string;
  }
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The environment `npm start` gets from tests/helpers/app-process.ts, so the build is the one it would make. */
function appEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env))
    if (key.startsWith("VITEST") || ["DATABASE_URL", "ADMIN_API_KEY", "NODE_ENV"].includes(key)) delete env[key];
  return env;
}

async function buildForEndToEnd(project: TestProject): Promise<void> {
  // The files of this run (vitest collects them before the global setup).
  const selected = project.vitest.state.getPaths();
  if (!selected.some((file) => file.includes("/tests/e2e/"))) return;
  const lock = await acquireStartLock(ROOT);
  try {
    const started = performance.now();
    const result = buildIfStale({ env: appEnv(), stdio: "pipe" });
    if (!result) return;
    if (result.status !== 0)
      throw new Error(
        `next build failed (exit ${result.status}):\n${`${result.stdout}${result.stderr}`.slice(-8_000)}`,
      );
    console.warn(`next build for the e2e tests: ${Math.round((performance.now() - started) / 1000)} s`);
  } finally {
    lock.release();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await buildForEndToEnd(project);
  const baseUrl = process.env.TEST_DATABASE_URL;
  // One after the other: PGlite runs on this thread and would starve the Postgres connection's timers.
  project.provide("postgresTemplate", baseUrl ? await preparePostgresTemplate(baseUrl) : "");
  project.provide("pgliteTemplates", await preparePgliteTemplates());
  const runId = randomBytes(4).toString("hex");
  project.provide("testRunId", runId);
  return async () => {
    if (baseUrl) await dropDatabases(baseUrl, `orch_test_${runId}_`);
  };
}
