import type { BackupDestinationRecord } from "@/db/schema/backups";
import { NotConfiguredError } from "@/errors";

/** Where a backup is written: files under `<backup id>/<file>` (destinations.ts, s3.ts). */
export interface BackupDestination {
  readonly record: BackupDestinationRecord;
  put(backupId: string, file: string, data: Buffer): Promise<void>;
  get(backupId: string, file: string): Promise<Buffer>;
  /** Deletes a backup's folder (retention, a failed backup's partial parts). */
  remove(backupId: string): Promise<void>;
}

/**
 * A backup's address on the restore's command line, `<scheme>://<host>/<prefix>/<backup id>/`
 * with or without `manifest.json` at its end: the bucket or store (`host`), the folder inside it
 * (`prefix`, absent when the backup sits at its root) and the backup's id.
 */
export function parseBackupAddress(
  scheme: "s3" | "blob",
  address: string,
  hostIs: string,
): { host: string; prefix: string | undefined; backupId: string } {
  const match = new RegExp(`^${scheme}://([^/]+)/(?:(.+)/)?([A-Za-z0-9_.-]+)/(?:manifest\\.json)?$`).exec(
    address.endsWith("/") || address.endsWith("manifest.json") ? address : `${address}/`,
  );
  if (!match)
    throw new NotConfiguredError(`"${address}" is not ${scheme}://<${hostIs}>/<prefix>/<backup id>/manifest.json.`);
  return { host: match[1]!, prefix: match[2], backupId: match[3]! };
}
