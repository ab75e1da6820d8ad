// `npm run workflows:sync`: registers every file of workflows/ in DATABASE_URL (or the embedded
// database). Part of the deploy (vercel.json's buildCommand, after the migrations; the same
// command self-hosted): an unchanged file creates no version, and an invalid one fails the
// command, so a deployment never goes live without its workflows. On Vercel it also refuses a
// step whose timeout can never fit in a tick (src/engine/registry.ts).
import { chooseDriver, openDb } from "@/db/client";
import { DefinitionError } from "@/engine/definition";
import { syncWorkflowFiles } from "@/engine/registry";
import { assertProductionConfig, readEnv } from "@/env";
import { ensureWired } from "@/runtime/wire";

assertProductionConfig();
const env = readEnv();
const handle = await openDb(env.DATABASE_URL, chooseDriver(env.DATABASE_URL, env.DATABASE_DRIVER));
try {
  await ensureWired();
  const synced = await syncWorkflowFiles(handle.db);
  for (const w of synced) console.log(`${w.name}: version ${w.version}${w.created ? " (new)" : " (unchanged)"}`);
  console.log(
    `Registered ${synced.length} workflow file(s); ${synced.filter((w) => w.created).length} new version(s).`,
  );
} catch (error) {
  if (error instanceof DefinitionError) {
    console.error(`A workflow file is invalid:\n${error.issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}`);
  } else {
    console.error(`Registering the workflow files failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exitCode = 1;
} finally {
  await handle.close();
}
