/**
 * The backups' configuration, read lazily from the environment (never at module scope):
 * - `BACKUP_KEY`: base64 of 32 bytes, the AES-256-GCM key every part is encrypted with. Outside
 *   production a missing key is generated once into `<DATA_DIR>/backup-key` (mode 0600), like the
 *   other development secrets; production without it takes no backup (the workflow fails, saying so).
 * - `BACKUP_DIR`: the local folder destination (self-hosted). Outside production it defaults to
 *   `<DATA_DIR>/backups`; in production a backup needs it set.
 * - `BACKUP_KEEP_COUNT` (default 7) and `BACKUP_KEEP_DAYS` (default 30): retention per destination.
 * - `BACKUP_CHUNK_ROWS` (default 2,000): rows per part, so one part fits a step of a tick.
 * Lose the key and the backups are unreadable: keep it apart from the backups themselves.
 */
import { createHash, createSecretKey, hkdfSync, type KeyObject, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { dataDir, isProduction } from "@/env";
import { NotConfiguredError, ValidationError } from "@/errors";

export interface BackupKey {
  /** The AES-256-GCM key of the parts. */
  readonly key: KeyObject;
  /** The HMAC key of the manifest (HKDF of the key). */
  readonly macKey: KeyObject;
  /** A fingerprint that names the key in a manifest (HKDF of the key, 8 bytes hex): not the key. */
  readonly id: string;
}

function decodeKey(encoded: string, origin: string): Buffer {
  const bytes = Buffer.from(encoded.trim(), "base64");
  if (bytes.length !== 32 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded.trim()))
    throw new NotConfiguredError(`${origin} must be the base64 of 32 bytes (openssl rand -base64 32).`);
  return bytes;
}

const keyCache = new Map<string, BackupKey>();

function makeKey(bytes: Buffer): BackupKey {
  const cacheKey = createHash("sha256").update(bytes).digest("hex");
  const cached = keyCache.get(cacheKey);
  if (cached) return cached;
  const derive = (info: string, length: number) =>
    Buffer.from(hkdfSync("sha256", bytes, Buffer.alloc(0), info, length));
  const made: BackupKey = {
    key: createSecretKey(bytes),
    macKey: createSecretKey(derive("backup-manifest/v1", 32)),
    id: derive("backup-key-id/v1", 8).toString("hex"),
  };
  keyCache.set(cacheKey, made);
  return made;
}

/** The backup key: `BACKUP_KEY`, or (outside production) the generated development key. */
export function backupKey(source: NodeJS.ProcessEnv = process.env): BackupKey {
  const configured = source.BACKUP_KEY?.trim();
  if (configured) return makeKey(decodeKey(configured, "BACKUP_KEY"));
  if (isProduction(source))
    throw new NotConfiguredError("BACKUP_KEY is not set: backups are encrypted with it, and none is taken without it.");
  const dir = dataDir(source);
  const file = path.join(dir, "backup-key");
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    // `wx`: two processes generating at once keep the first key, never two.
    try {
      writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
      chmodSync(file, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return makeKey(decodeKey(readFileSync(file, "utf8"), `${file}`));
}

/** The key of a restore: given as base64 (the command line's `--key`), else as for a backup. */
export function restoreKey(encoded: string | undefined, source: NodeJS.ProcessEnv = process.env): BackupKey {
  return encoded ? makeKey(decodeKey(encoded, "the restore key")) : backupKey(source);
}

function positiveInt(source: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = source[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new ValidationError(`${name} must be a whole number from 1 to ${max}.`);
  return value;
}

export interface BackupSettings {
  /** The local folder destination, or undefined when none is configured. */
  localDir: string | undefined;
  keepCount: number;
  keepDays: number;
  chunkRows: number;
}

export function backupSettings(source: NodeJS.ProcessEnv = process.env): BackupSettings {
  const configuredDir = source.BACKUP_DIR?.trim();
  return {
    localDir: configuredDir
      ? path.resolve(configuredDir)
      : isProduction(source)
        ? undefined
        : path.join(dataDir(source), "backups"),
    keepCount: positiveInt(source, "BACKUP_KEEP_COUNT", 7, 10_000),
    keepDays: positiveInt(source, "BACKUP_KEEP_DAYS", 30, 36_500),
    chunkRows: positiveInt(source, "BACKUP_CHUNK_ROWS", 2_000, 1_000_000),
  };
}
