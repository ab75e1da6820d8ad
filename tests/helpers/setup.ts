// Runs before every test file: a private DATA_DIR (generated development secrets, admin key)
// so tests never touch the developer's .data/, and quiet request logs unless a test asks.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

process.env.DATA_DIR = mkdtempSync(path.join(tmpdir(), "orchestrator-test-"));
process.env.LOG_LEVEL ??= "error";
delete process.env.DATABASE_URL;
delete process.env.ADMIN_API_KEY;
delete process.env.VERCEL;
delete process.env.APP_ENV;
// Self-calls (src/http/self-call.ts): tests that need a base URL or a bypass secret set their own.
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
