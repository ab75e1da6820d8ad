/**
 * Where backups are written. A destination stores files under `<backup id>/<file>`; the same
 * backup goes to every configured destination (two make an off-site copy): a local folder
 * (self-hosted; `BACKUP_DIR`), whose writes are atomic (a temporary file renamed into place, so a
 * reader never sees half a part), an S3-compatible bucket (`BACKUP_S3_*`, s3.ts) and a private
 * Vercel Blob store (`BACKUP_BLOB_*`, blob.ts).
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { BackupDestinationRecord } from "@/db/schema/backups";
import { NotConfiguredError } from "@/errors";
import { configuredBlob } from "./blob";
import { backupSettings } from "./config";
import type { BackupDestination } from "./destination";
import { configuredS3 } from "./s3";

export type { BackupDestination } from "./destination";

/** Errors of a folder that retrying cannot fix (a file where a folder goes, no permission, read-only, full). */
const PERMANENT = new Set(["ENOTDIR", "EEXIST", "EACCES", "EPERM", "EROFS", "ENOSPC", "EISDIR"]);

async function permanentAsConfig<T>(where: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code && PERMANENT.has(code))
      throw new NotConfiguredError(`The backup folder ${where} cannot be written (${code}): check BACKUP_DIR.`);
    throw error;
  }
}

const SAFE_NAME = /^[A-Za-z0-9_.-]+$/;

function checkName(value: string): string {
  if (!SAFE_NAME.test(value) || value === "." || value === "..") throw new Error(`unsafe backup file name "${value}"`);
  return value;
}

export class LocalFolderDestination implements BackupDestination {
  readonly record: BackupDestinationRecord;

  constructor(readonly root: string) {
    this.record = { name: "local", kind: "local", location: root };
  }

  private pathOf(backupId: string, file?: string): string {
    const folder = path.join(this.root, checkName(backupId));
    return file === undefined ? folder : path.join(folder, checkName(file));
  }

  async put(backupId: string, file: string, data: Buffer): Promise<void> {
    const target = this.pathOf(backupId, file);
    await permanentAsConfig(path.dirname(target), async () => {
      await mkdir(path.dirname(target), { recursive: true });
      const temporary = `${target}.${randomBytes(6).toString("hex")}.tmp`;
      await writeFile(temporary, data, { mode: 0o600 });
      await rename(temporary, target);
    });
  }

  get(backupId: string, file: string): Promise<Buffer> {
    return readFile(this.pathOf(backupId, file));
  }

  async remove(backupId: string): Promise<void> {
    await rm(this.pathOf(backupId), { recursive: true, force: true });
  }

  /** The backup folders present (for tests and operators). */
  async list(): Promise<string[]> {
    try {
      return (await readdir(this.root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  }
}

/** The configured destinations; refuses to back up to nowhere. */
export function configuredDestinations(source: NodeJS.ProcessEnv = process.env): BackupDestination[] {
  const settings = backupSettings(source);
  const destinations: BackupDestination[] = [];
  if (settings.localDir) destinations.push(new LocalFolderDestination(settings.localDir));
  const s3 = configuredS3(source);
  if (s3) destinations.push(s3);
  const blob = configuredBlob(source);
  if (blob) destinations.push(blob);
  if (destinations.length === 0)
    throw new NotConfiguredError(
      "No backup destination is configured: set BACKUP_DIR (a local folder), BACKUP_S3_BUCKET (an S3-compatible bucket) and/or BACKUP_BLOB_READ_WRITE_TOKEN (a private Vercel Blob store).",
    );
  return destinations;
}

/** The destination a backup row names, from the current configuration (for reads and retention). */
export function destinationFor(record: BackupDestinationRecord): BackupDestination {
  if (record.kind === "local") return new LocalFolderDestination(record.location);
  const s3 = configuredS3();
  if (record.kind === "s3" && s3 && s3.record.location === record.location) return s3;
  const blob = record.kind === "blob" ? configuredBlob() : undefined;
  if (blob && blob.record.location === record.location) return blob;
  throw new NotConfiguredError(
    `The backup destination ${record.name} (${record.location}) is not configured here: set its ${
      record.kind === "blob" ? "BACKUP_BLOB_*" : "BACKUP_S3_*"
    } variables.`,
  );
}

/** Retention of a destination: the bucket's own BACKUP_S3_KEEP_* (the Blob store's BACKUP_BLOB_KEEP_*) when set, else the folder's. */
export function retentionFor(
  record: BackupDestinationRecord,
  source: NodeJS.ProcessEnv = process.env,
): { keepCount: number; keepDays: number } {
  const settings = backupSettings(source);
  if (record.kind === "local") return settings;
  const own = record.kind === "s3" ? "BACKUP_S3" : "BACKUP_BLOB";
  return backupSettings({
    ...source,
    BACKUP_KEEP_COUNT: source[`${own}_KEEP_COUNT`] || source.BACKUP_KEEP_COUNT,
    BACKUP_KEEP_DAYS: source[`${own}_KEEP_DAYS`] || source.BACKUP_KEEP_DAYS,
  });
}
