// `npm run keys:rotate`: re-encrypts every registered column (src/privacy/registry.ts) that is
// under an older key version than the highest one in ENCRYPTION_KEYS, in small batches, while
// the application keeps running. Safe to run again (and to run twice at once): rows already on
// the current version are not touched. Exits 1 while anything is left on an older version.
// Prints table names, counts, row ids and key versions only: never a value or a key.
// Without DATABASE_URL it works on the embedded database, which only one process may open:
// stop `npm start` first (like `npm run db:migrate`).
import { chooseDriver, openDb } from "@/db/client";
import { migrate } from "@/db/migrate";
import { sealLegacySiteOrders } from "@/projects/site-clients";
import { assertProductionConfig, ConfigError, readEnv } from "@/env";
import { keyVersions } from "@/privacy/crypto";
import { ENCRYPTED_COLUMNS } from "@/privacy/registry";
import { rotateKeys } from "@/privacy/rotate";

async function main(): Promise<number> {
  assertProductionConfig();
  const env = readEnv();
  const versions = keyVersions();
  console.log(`Current key version: ${versions.current} (configured: ${versions.configured.join(", ")}).`);
  if (ENCRYPTED_COLUMNS.length === 0) {
    console.log("No encrypted columns are registered (src/privacy/registry.ts): nothing to rotate.");
    return 0;
  }

  const driver = chooseDriver(env.DATABASE_URL, env.DATABASE_DRIVER);
  if (driver === "pglite")
    console.log("Using the embedded database under DATA_DIR: make sure `npm start` is not running.");
  const handle = await openDb(env.DATABASE_URL, driver);
  try {
    // The registered tables must exist: apply pending migrations first (idempotent, under their lock).
    await migrate(handle.db);
    // Site orders stored in clear before they were encrypted are sealed first, then rotated with the rest.
    const sealed = await sealLegacySiteOrders(handle.db);
    if (sealed > 0) console.log(`projects: ${sealed} site order(s) stored in clear were encrypted.`);
    const results = await rotateKeys(handle.db, ENCRYPTED_COLUMNS, {
      onProgress: (p) =>
        console.log(
          `  ${p.table}: ${p.examined} examined, ${p.updated} rewritten, ${p.failed} failed, ${p.deferred} waiting for a lock`,
        ),
    });
    let remaining = 0;
    for (const r of results) {
      console.log(
        `${r.table}: ${r.rows} row(s) rewritten, ${r.failed} value(s) unreadable, ${r.skipped} row(s) still locked, ` +
          `${r.remaining} row(s) not yet on version ${versions.current}.`,
      );
      for (const f of r.failures) console.log(`  unreadable: id ${f.id}, column ${f.column} (${f.reason})`);
      if (r.failed > r.failures.length) console.log(`  ... and ${r.failed - r.failures.length} more`);
      remaining += r.remaining;
    }
    if (remaining > 0) {
      console.log(
        "Not finished: run again (and fix or erase unreadable values); keep every key version configured until it reports 0.",
      );
      return 1;
    }
    const older = versions.configured.filter((v) => v < versions.current);
    console.log(
      older.length > 0
        ? `Done: every registered value is under version ${versions.current}. Once every instance runs with it, version(s) ${older.join(", ")} can be removed from ENCRYPTION_KEYS.`
        : `Done: every registered value is under version ${versions.current}.`,
    );
    return 0;
  } finally {
    await handle.close();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  // Configuration errors are written for people (and never quote a key): no stack needed.
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(error);
  process.exitCode = 1;
}
