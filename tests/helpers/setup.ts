// Runs before every test file: a private DATA_DIR (generated development secrets, admin key)
// so tests never touch the developer's .data/, and quiet request logs unless a test asks.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { detachedWorkSettled, onDetachedFailure } from "@/util/detached";

// CI runs every test: the Postgres-only files skip themselves without TEST_DATABASE_URL, which is
// fine on a developer's machine and never in CI (.ci/run sets CI=true and the URL).
if (process.env.CI === "true" && !process.env.TEST_DATABASE_URL)
  throw new Error("CI=true but TEST_DATABASE_URL is not set: the Postgres tests would be skipped (see .ci/run)");

process.env.DATA_DIR = mkdtempSync(path.join(tmpdir(), "orchestrator-test-"));
process.env.LOG_LEVEL ??= "error";
delete process.env.DATABASE_URL;
delete process.env.ADMIN_API_KEY;
delete process.env.VERCEL;
delete process.env.APP_ENV;
// Self-calls (src/integrations/self-call.ts): tests that need a base URL or a bypass secret set their own.
for (const name of [
  "VERCEL_ENV",
  "VERCEL_URL",
  "VERCEL_PROJECT_PRODUCTION_URL",
  "VERCEL_AUTOMATION_BYPASS_SECRET",
  "PUBLIC_BASE_URL",
])
  delete process.env[name];
// Agents write copy with a language model when a provider key is set: tests never call one.
delete process.env.OPENAI_API_KEY;
delete process.env.ANTHROPIC_API_KEY;
delete process.env.LLM_MODEL;
// ads.launch_campaign creates real campaigns when Google Ads credentials are set: tests opt in with a loopback fake.
for (const name of Object.keys(process.env))
  if (name.startsWith("GOOGLE_ADS_") || name === "GOOGLE_OAUTH_TOKEN_URL") delete process.env[name];
// deploy_site uploads to Vercel Blob when its token is set: tests opt in with a loopback fake.
delete process.env.BLOB_READ_WRITE_TOKEN;
// The composition root wires the engine to the agents, their gateway and the housekeeping chores
// (src/runtime/wire.ts) before each database, integration and e2e file. Unit files skip the cost
// of loading every agent: those that need the wiring call ensureWired() themselves.
// eslint-disable-next-line no-empty-pattern -- vitest reads the hook's first argument as a fixture pattern
beforeAll(async ({}, suite) => {
  if (suite.file.filepath.includes("/tests/unit/")) return;
  const { ensureWired } = await import("@/runtime/wire");
  await ensureWired();
});

// Background work that fails (work after a response, run detached when a test calls a handler
// directly) fails the test that started it: each test waits for the work it left running (at
// most DETACHED_WAIT_MS: longer work is checked at the next test or at the end of the file), so
// it ends before the file closes its database, and a failure is reported here, not just logged.
const DETACHED_WAIT_MS = 10_000;
const detachedFailures: string[] = [];
onDetachedFailure((what, error) =>
  detachedFailures.push(`${what}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
);
async function failOnDetachedFailures(): Promise<void> {
  await detachedWorkSettled(DETACHED_WAIT_MS);
  if (detachedFailures.length > 0)
    throw new Error(`Background work failed during this test:\n${detachedFailures.splice(0).join("\n")}`);
}
afterEach(failOnDetachedFailures);
afterAll(failOnDetachedFailures);
