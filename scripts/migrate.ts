// `npm run db:migrate`: applies pending migrations to DATABASE_URL (or the embedded database).
// Safe to run from several processes at once: the migrator takes a transaction-scoped lock.
import { chooseDriver, openDb } from "@/db/client";
import { migrate } from "@/db/migrate";
import { sealLegacySiteOrders } from "@/projects/site-clients";
import { assertPaymentConfig, assertProductionConfig, isProduction, readEnv } from "@/env";

assertProductionConfig();
// The deploy fails here, at build time, rather than every function refusing to start after it
// (a production build without Stripe and without ORDERS_TEST_MODE=1 would give sites away).
if (isProduction()) assertPaymentConfig();
const env = readEnv();
const handle = await openDb(env.DATABASE_URL, chooseDriver(env.DATABASE_URL, env.DATABASE_DRIVER));
try {
  const result = await migrate(handle.db);
  // Data the SQL migrations cannot encrypt (they have no key): site orders stored in clear before 0013_site_client_privacy.
  const sealed = await sealLegacySiteOrders(handle.db);
  if (sealed > 0) console.log(`Encrypted ${sealed} site order(s) stored in clear.`);
  console.log(
    result.applied.length > 0
      ? `Applied ${result.applied.length} migration(s): ${result.applied.join(", ")} (${result.alreadyApplied} already applied).`
      : `Database is up to date (${result.alreadyApplied} migration(s) applied).`,
  );
} finally {
  await handle.close();
}
