// `npm run backup:restore -- <manifest.json, its folder, s3://<bucket>/<prefix>/<backup id>/manifest.json or
// blob://<store id>/<prefix>/<backup id>/manifest.json> [--key <base64>]` (an s3:// address reads the bucket
// configured by BACKUP_S3_*, a blob:// one the store of BACKUP_BLOB_READ_WRITE_TOKEN): restores a backup
// taken by the platform_backup workflow into the EMPTY database of DATABASE_URL (or the embedded
// one under DATA_DIR: stop `npm start` first). It refuses a database with anything in it, applies
// the migrations up to the backup's schema version, checks every part's SHA-256 and row count as
// it loads the tables (parents first), sets every sequence past its rows, then applies the newer
// migrations; one transaction, so a failure leaves the database empty. The key is BACKUP_KEY
// unless --key gives it. Prints table names and counts only: never a row or a key.
import { parseBlobAddress } from "@/backups/blob";
import { restoreKey } from "@/backups/config";
import { destinationReader, localReader, restoreBackup } from "@/backups/restore";
import { parseS3Address } from "@/backups/s3";
import { chooseDriver, openDb } from "@/db/client";
import { readEnv } from "@/env";

function usage(message: string): never {
  console.error(`${message}\nUsage: npm run backup:restore -- <path/to/manifest.json> [--key <base64 of 32 bytes>]`);
  process.exit(2);
}

const args = process.argv.slice(2);
let manifest: string | undefined;
let key: string | undefined;
for (let i = 0; i < args.length; i++) {
  const arg = args[i]!;
  if (arg === "--key") key = args[++i] ?? usage("--key needs a value.");
  else if (arg.startsWith("--")) usage(`Unknown option ${arg}.`);
  else if (manifest) usage("Give one manifest.");
  else manifest = arg;
}
if (!manifest) usage("Which backup? Give the path of its manifest.json.");

const env = readEnv();
const driver = chooseDriver(env.DATABASE_URL, env.DATABASE_DRIVER);
if (driver === "pglite")
  console.log("Restoring into the embedded database under DATA_DIR: make sure `npm start` is not running.");
const handle = await openDb(env.DATABASE_URL, driver);
try {
  const remote = manifest.startsWith("s3://")
    ? parseS3Address(manifest)
    : manifest.startsWith("blob://")
      ? parseBlobAddress(manifest)
      : undefined;
  const reader = remote ? destinationReader(remote.destination, remote.backupId) : localReader(manifest);
  const result = await restoreBackup(handle.db, reader, {
    key: restoreKey(key),
    onProgress: (message) => console.log(`  ${message}`),
  });
  const seconds = Math.max(result.durationMs, 1) / 1000;
  console.log(
    `Restored backup ${result.backupId} (schema ${result.schemaVersion}): ${result.tables.length} tables, ${result.rows} rows ` +
      `in ${seconds.toFixed(1)} s (${Math.round(result.rows / seconds)} rows/s, ${(result.rawBytes / 1e6 / seconds).toFixed(1)} MB/s of rows).`,
  );
  if (result.skipped > 0)
    console.log(`${result.skipped} row(s) added while the backup ran had no parent in it and were not restored.`);
} catch (error) {
  const code = (error as { code?: string }).code;
  console.error(`Restore failed${code ? ` (${code})` : ""}: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await handle.close();
}
