// `npm run db:migrate`: applies pending migrations to DATABASE_URL (or the embedded database).
// Safe to run from several processes at once: the migrator takes a transaction-scoped lock.
import { chooseDriver, openDb } from "@/db/client";
import { migrate } from "@/db/migrate";
import { assertProductionConfig, readEnv } from "@/env";

assertProductionConfig();
const env = readEnv();
const handle = await openDb(env.DATABASE_URL, chooseDriver(env.DATABASE_URL, env.DATABASE_DRIVER));
try {
  const result = await migrate(handle.db);
  console.log(
    result.applied.length > 0
      ? `Applied ${result.applied.length} migration(s): ${result.applied.join(", ")} (${result.alreadyApplied} already applied).`
      : `Database is up to date (${result.alreadyApplied} migration(s) applied).`,
  );
} finally {
  await handle.close();
}
