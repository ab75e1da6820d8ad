import type { BackupDestinationRecord } from "@/db/schema/backups";

/** Where a backup is written: files under `<backup id>/<file>` (destinations.ts, s3.ts). */
export interface BackupDestination {
  readonly record: BackupDestinationRecord;
  put(backupId: string, file: string, data: Buffer): Promise<void>;
  get(backupId: string, file: string): Promise<Buffer>;
  /** Deletes a backup's folder (retention, a failed backup's partial parts). */
  remove(backupId: string): Promise<void>;
}
