/**
 * The backup format. A backup is a folder (`<backup id>/`) on each destination:
 * - parts `<table>.<part>.ndjson.gz.enc`: one JSON object per row (`row_to_json`, so every value is
 *   Postgres's own JSON text of it: no number is rounded by JavaScript), gzip-compressed, then
 *   AES-256-GCM encrypted: `OBK1` + 12-byte IV + ciphertext + 16-byte tag, the associated data
 *   being `<backup id>/<file>` (a part cannot be swapped for another, nor moved to another backup);
 * - `manifest.json`, written last: the schema version (the last migration), every table with its
 *   primary key and its parts (rows, bytes, SHA-256 of the stored bytes), the sequences, and an
 *   HMAC-SHA256 under a key derived from the backup key (so a restore knows the manifest is the
 *   one it wrote and that it holds the right key before it reads a part).
 * Personal data is stored as it is in the columns: already encrypted under ENCRYPTION_KEYS.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import { z } from "zod";
import type { BackupKey } from "./config";

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

const MAGIC = Buffer.from("OBK1");
const IV_BYTES = 12;
const TAG_BYTES = 16;

export const MANIFEST_FILE = "manifest.json";
export const MANIFEST_FORMAT = "agent-orchestrator-backup";

export class BackupIntegrityError extends Error {
  readonly code = "backup_integrity" as const;
}

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export function partFile(table: string, part: number): string {
  return `${table}.${String(part).padStart(5, "0")}.ndjson.gz.enc`;
}

/** NDJSON lines → the stored bytes of a part. */
export async function sealPart(key: BackupKey, aad: string, lines: readonly string[]): Promise<Buffer> {
  const compressed = await gzipAsync(Buffer.from(lines.length === 0 ? "" : `${lines.join("\n")}\n`, "utf8"));
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key.key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(compressed), cipher.final()]);
  return Buffer.concat([MAGIC, iv, body, cipher.getAuthTag()]);
}

/** The stored bytes of a part → its NDJSON lines. Throws BackupIntegrityError when they were altered or the key is wrong. */
export async function openPart(key: BackupKey, aad: string, data: Buffer): Promise<string[]> {
  if (data.length < MAGIC.length + IV_BYTES + TAG_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC))
    throw new BackupIntegrityError(`${aad}: not a backup part`);
  const iv = data.subarray(MAGIC.length, MAGIC.length + IV_BYTES);
  const tag = data.subarray(data.length - TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", key.key, iv);
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(tag);
  let compressed: Buffer;
  try {
    compressed = Buffer.concat([
      decipher.update(data.subarray(MAGIC.length + IV_BYTES, data.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new BackupIntegrityError(`${aad}: does not decrypt under this backup key (altered, or another key)`);
  }
  const text = (await gunzipAsync(compressed)).toString("utf8");
  return text.length === 0 ? [] : text.replace(/\n$/, "").split("\n");
}

const partSchema = z.strictObject({
  file: z.string().min(1),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const manifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  version: z.literal(1),
  backupId: z.guid(),
  schemaVersion: z.string().min(1),
  keyId: z.string(),
  encryption: z.literal("aes-256-gcm"),
  compression: z.literal("gzip"),
  startedAt: z.string(),
  finishedAt: z.string(),
  tables: z.array(
    z.strictObject({
      name: z.string().min(1),
      primaryKey: z.array(z.string()),
      rows: z.number().int().nonnegative(),
      parts: z.array(partSchema),
    }),
  ),
  sequences: z.array(z.strictObject({ name: z.string(), value: z.string().nullable() })),
  mac: z.string(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestBody = Omit<Manifest, "mac">;

function macOf(key: BackupKey, body: ManifestBody): string {
  return createHmac("sha256", key.macKey).update(JSON.stringify(body)).digest("hex");
}

export function signManifest(key: BackupKey, body: ManifestBody): Manifest {
  return { ...body, mac: macOf(key, body) };
}

/** Parses a manifest and checks its HMAC under the key; names what is wrong, never the key. */
export function readManifest(key: BackupKey, text: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BackupIntegrityError("the manifest is not JSON");
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success)
    throw new BackupIntegrityError(`the manifest is not a backup manifest: ${parsed.error.issues[0]?.message ?? ""}`);
  const { mac, ...body } = parsed.data;
  if (body.keyId !== key.id)
    throw new BackupIntegrityError(
      `the backup was taken with another key (key id ${body.keyId}; this key is ${key.id}): set BACKUP_KEY to that key`,
    );
  const expected = Buffer.from(macOf(key, body), "hex");
  const given = Buffer.from(mac, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new BackupIntegrityError("the manifest was altered (its HMAC does not match)");
  return parsed.data;
}
