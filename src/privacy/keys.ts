/**
 * The encryption keyring, parsed from `ENCRYPTION_KEYS`.
 *
 * Format: comma-separated `<version>:<base64 of 32 bytes>` entries, e.g. `1:AAAA…=,2:BBBB…=`.
 * The HIGHEST version encrypts; every listed version decrypts. Rotation is therefore: add a
 * higher version everywhere, run `npm run keys:rotate`, then remove the old version.
 *
 * Validation is strict, because a typo here either loses data (a key that decodes to the wrong
 * bytes) or silently weakens it: every key must be canonical base64 (standard or URL alphabet,
 * padding optional) of exactly 32 bytes, versions are positive integers without leading zeros,
 * and neither a version nor a key may appear twice. Errors name the entry by position and
 * version and say what is wrong, but never quote the key material (nor an unparseable entry,
 * which may be a key pasted in the wrong place).
 *
 * Keys live in `KeyObject`s, never in plain Buffers: a keyring that ends up in a log line or a
 * JSON dump prints as `SecretKeyObject {}`, not as bytes.
 *
 * The keyring is read lazily (never at module scope: serverless runtimes inject the
 * environment per request) and cached per `ENCRYPTION_KEYS` value, so a changed value is
 * picked up on the next call and an unchanged one is parsed once.
 */
import { createHash, createSecretKey, hkdfSync, type KeyObject } from "node:crypto";
import { ConfigError, getSecret } from "@/env";

/** Largest accepted key version (nine digits, so a version always fits a Postgres `int`). */
export const MAX_KEY_VERSION = 999_999_999;

/** HKDF `info` for the search-hash key of a version (see search-hash.ts). */
const SEARCH_HASH_INFO = "search-hash/v1";

export interface KeyEntry {
  readonly version: number;
  /** The AES-256-GCM key. */
  readonly key: KeyObject;
  /** The HMAC-SHA256 key for search hashes, derived from `key` with HKDF (computed on first use). */
  searchHashKey(): KeyObject;
}

export interface Keyring {
  /** The entry that encrypts: the highest version. */
  readonly current: KeyEntry;
  /** Every configured entry, ascending by version. */
  readonly entries: readonly KeyEntry[];
  /** The entry of a version, if configured. */
  get(version: number): KeyEntry | undefined;
}

const VERSION = /^[1-9][0-9]*$/;
const BASE64_CHARS = /^[A-Za-z0-9+/_-]*={0,2}$/;

function keyError(message: string): ConfigError {
  return new ConfigError(
    `Invalid ENCRYPTION_KEYS: ${message}. Expected comma-separated "<version>:<base64 of 32 bytes>" entries.`,
  );
}

function makeEntry(version: number, key: KeyObject): KeyEntry {
  let derived: KeyObject | undefined;
  return {
    version,
    key,
    searchHashKey() {
      derived ??= createSecretKey(Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), SEARCH_HASH_INFO, 32)));
      return derived;
    },
  };
}

/** Decodes one key, or says (without quoting it) why it is not 32 bytes of canonical base64. */
function decodeKey(encoded: string, where: string): Buffer {
  if (!BASE64_CHARS.test(encoded)) throw keyError(`${where}: the key is not base64 (unexpected characters)`);
  const bytes = Buffer.from(encoded, "base64");
  // Node's decoder is lenient; re-encoding tells whether the text was really this base64.
  const canonical = bytes.toString("base64").replace(/=+$/, "");
  const given = encoded.replace(/=+$/, "").replaceAll("-", "+").replaceAll("_", "/");
  const padding = encoded.length - encoded.replace(/=+$/, "").length;
  if (canonical !== given || (padding > 0 && encoded.length % 4 !== 0)) {
    throw keyError(`${where}: the key is not valid base64`);
  }
  if (bytes.length !== 32) {
    throw keyError(
      `${where}: the key decodes to ${bytes.length} bytes, expected exactly 32 (generate one with: openssl rand -base64 32)`,
    );
  }
  return bytes;
}

/** Parses an `ENCRYPTION_KEYS` value. Throws ConfigError naming the problem, never the key. */
export function parseEncryptionKeys(raw: string): Keyring {
  const text = raw.trim();
  if (text === "") throw keyError("the value is empty");
  const byVersion = new Map<number, KeyEntry>();
  const seenKeys = new Map<string, number>();
  text.split(",").forEach((rawEntry, index) => {
    const entry = rawEntry.trim();
    const position = `entry ${index + 1}`;
    if (entry === "") throw keyError(`${position} is empty (stray comma?)`);
    const colon = entry.indexOf(":");
    if (colon < 0) throw keyError(`${position} has no "<version>:" prefix`);
    const versionText = entry.slice(0, colon).trim();
    // The version text is quoted only once it is known to be a plain number.
    if (!VERSION.test(versionText))
      throw keyError(`${position}: the version is not a positive integer without leading zeros`);
    const version = Number(versionText);
    if (version > MAX_KEY_VERSION)
      throw keyError(`${position}: version ${versionText} is larger than ${MAX_KEY_VERSION}`);
    const where = `${position} (version ${version})`;
    if (byVersion.has(version)) throw keyError(`version ${version} is listed twice`);
    const bytes = decodeKey(entry.slice(colon + 1).trim(), where);
    const fingerprint = createHash("sha256").update(bytes).digest("hex");
    const sameAs = seenKeys.get(fingerprint);
    if (sameAs !== undefined)
      throw keyError(`versions ${sameAs} and ${version} have the same key; a new version needs a new key`);
    seenKeys.set(fingerprint, version);
    byVersion.set(version, makeEntry(version, createSecretKey(bytes)));
    bytes.fill(0);
  });
  const entries = [...byVersion.values()].sort((a, b) => a.version - b.version);
  const current = entries[entries.length - 1];
  if (!current) throw keyError("no key is listed");
  return { current, entries, get: (version) => byVersion.get(version) };
}

let cached: { raw: string; keyring: Keyring } | undefined;

/**
 * The keyring for the current configuration (`getSecret`: the environment, or the generated
 * development value outside production). Parsed once per distinct value.
 */
export function getKeyring(): Keyring {
  const raw = getSecret("ENCRYPTION_KEYS");
  if (cached?.raw !== raw) cached = { raw, keyring: parseEncryptionKeys(raw) };
  return cached.keyring;
}
