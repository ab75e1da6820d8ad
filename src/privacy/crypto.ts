/**
 * Field encryption for customer personal data (emails, phones, names, addresses): AES-256-GCM
 * with node's crypto, under the versioned keys of `ENCRYPTION_KEYS` (see keys.ts).
 *
 * A ciphertext is a self-describing text token, so it fits any `text` column and names its key:
 *
 *     enc:v<version>:<base64url iv>.<base64url ciphertext>.<base64url tag>
 *
 * - IV: 12 random bytes per encryption (never reused: the same plaintext encrypts differently
 *   every time). With random IVs, NIST's bound is 2^32 encryptions per key; rotate well before.
 * - Tag: the full 16 bytes.
 * - AAD: `enc:v<version>:<context>`. The context names where the value lives (for example
 *   `orders.customer_email`), so a ciphertext copied into another column, or relabelled with
 *   another version, fails to decrypt. Always pass one for stored data; the default is "".
 * - Parsing is strict: base64url must be canonical (Node's decoder ignores stray trailing bits,
 *   so without this check some one-character edits would still decrypt), IV and tag must have
 *   their exact lengths, and a version has at most nine digits.
 *
 * Plaintexts must be well-formed Unicode: a lone UTF-16 surrogate cannot survive UTF-8, so it
 * would come back as U+FFFD. That is silent corruption, so `encryptField` refuses it instead.
 *
 * Errors never contain a plaintext, a token or a key. Decryption failures are DecryptionError.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { DecryptionError } from "./errors";
import { getKeyring, MAX_KEY_VERSION, type KeyEntry, type Keyring } from "./keys";

export { DecryptionError, type DecryptionFailure } from "./errors";
export {
  isSearchHash,
  normalizeForSearch,
  searchHash,
  searchHashes,
  searchHashNeedsRotation,
  searchHashOptional,
  searchHashVersionOf,
  type SearchHashKind,
} from "./search-hash";

const ALGORITHM = "aes-256-gcm";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const TOKEN = /^enc:v([1-9][0-9]{0,8}):([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{22})$/;
const LONE_SURROGATE = /\p{Cs}/u;

interface ParsedToken {
  version: number;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function where(context: string): string {
  return context === "" ? "" : ` (context ${JSON.stringify(context)})`;
}

/** Decodes canonical base64url only: re-encoding must give back the same text. */
function decodeCanonical(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : undefined;
}

function parseToken(token: string): ParsedToken | undefined {
  const match = TOKEN.exec(token);
  if (!match) return undefined;
  const [, versionText = "", ivText = "", ciphertextText = "", tagText = ""] = match;
  const version = Number(versionText);
  const iv = decodeCanonical(ivText);
  const ciphertext = decodeCanonical(ciphertextText);
  const tag = decodeCanonical(tagText);
  if (!iv || !ciphertext || !tag || version > MAX_KEY_VERSION) return undefined;
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return undefined;
  return { version, iv, ciphertext, tag };
}

function aad(version: number, context: string): Buffer {
  return Buffer.from(`enc:v${version}:${context}`, "utf8");
}

function assertWellFormed(value: string, what: string): void {
  if (typeof value !== "string") throw new TypeError(`${what} must be a string`);
  if (LONE_SURROGATE.test(value)) {
    throw new TypeError(
      `${what} is not well-formed Unicode (it contains a lone surrogate) and cannot be stored without corruption`,
    );
  }
}

/** Internal: encrypts under one given key entry (rotation uses a keyring fixed for its run). */
export function encryptUnder(entry: KeyEntry, plaintext: string, context = ""): string {
  assertWellFormed(plaintext, "encryptField: the plaintext");
  assertWellFormed(context, "encryptField: the context");
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, entry.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(entry.version, context));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `enc:v${entry.version}:${iv.toString("base64url")}.${ciphertext.toString("base64url")}.${tag.toString("base64url")}`;
}

/** Internal: decrypts with a given keyring. */
export function decryptWith(keyring: Keyring, token: string, context = ""): string {
  const parsed = typeof token === "string" ? parseToken(token) : undefined;
  if (!parsed)
    throw new DecryptionError("malformed", `Cannot decrypt${where(context)}: the value is not a valid encrypted token`);
  const entry = keyring.get(parsed.version);
  if (!entry) {
    throw new DecryptionError(
      "unknown_key_version",
      `Cannot decrypt${where(context)}: key version ${parsed.version} is not configured in ENCRYPTION_KEYS`,
    );
  }
  try {
    const decipher = createDecipheriv(ALGORITHM, entry.key, parsed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(parsed.version, context));
    decipher.setAuthTag(parsed.tag);
    return Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]).toString("utf8");
  } catch {
    // The cause (OpenSSL's "Unsupported state or unable to authenticate data") adds nothing.
    throw new DecryptionError(
      "authentication_failed",
      `Cannot decrypt${where(context)} with key version ${parsed.version}: authentication failed (wrong context, wrong key, or altered data)`,
    );
  }
}

/** Encrypts a value under the current key version, bound to `context` (e.g. `orders.customer_email`). */
export function encryptField(plaintext: string, context = ""): string {
  return encryptUnder(getKeyring().current, plaintext, context);
}

/** Decrypts a token made by `encryptField` with the same context. Throws DecryptionError. */
export function decryptField(ciphertext: string, context = ""): string {
  return decryptWith(getKeyring(), ciphertext, context);
}

/** `encryptField` that passes null and undefined through unchanged (nullable columns, patches). */
export function encryptOptional(plaintext: string, context?: string): string;
export function encryptOptional(plaintext: null, context?: string): null;
export function encryptOptional(plaintext: undefined, context?: string): undefined;
export function encryptOptional(plaintext: string | null | undefined, context?: string): string | null | undefined;
export function encryptOptional(plaintext: string | null | undefined, context?: string): string | null | undefined {
  return plaintext == null ? plaintext : encryptField(plaintext, context);
}

/** `decryptField` that passes null and undefined through unchanged. */
export function decryptOptional(ciphertext: string, context?: string): string;
export function decryptOptional(ciphertext: null, context?: string): null;
export function decryptOptional(ciphertext: undefined, context?: string): undefined;
export function decryptOptional(ciphertext: string | null | undefined, context?: string): string | null | undefined;
export function decryptOptional(ciphertext: string | null | undefined, context?: string): string | null | undefined {
  return ciphertext == null ? ciphertext : decryptField(ciphertext, context);
}

/**
 * Whether a value has the exact shape of a token (prefix, version, IV, ciphertext and tag
 * lengths, canonical base64url). A shape check only: it needs no key and proves nothing about
 * authenticity; `decryptField` does that.
 */
export function isEncrypted(value: unknown): value is string {
  return typeof value === "string" && parseToken(value) !== undefined;
}

/** The key version a token names. Throws DecryptionError ("malformed") if it is not a token. */
export function keyVersionOf(token: string): number {
  const parsed = typeof token === "string" ? parseToken(token) : undefined;
  if (!parsed)
    throw new DecryptionError("malformed", "Cannot read the key version: the value is not a valid encrypted token");
  return parsed.version;
}

/**
 * Whether a token is under a version older than the current one, i.e. what `keys:rotate`
 * rewrites. False for current tokens (and for a version above the current, which cannot
 * happen with a valid configuration). Throws DecryptionError for a non-token.
 */
export function needsRotation(token: string): boolean {
  return keyVersionOf(token) < getKeyring().current.version;
}

/** Internal: `reencrypt` with a given keyring. */
export function reencryptWith(keyring: Keyring, token: string, context = ""): string {
  const plaintext = decryptWith(keyring, token, context);
  return keyVersionOf(token) === keyring.current.version ? token : encryptUnder(keyring.current, plaintext, context);
}

/**
 * The token under the current key: decrypts it (so a tampered token or a wrong context fails
 * here, with DecryptionError) and encrypts it again, or returns it unchanged when it already is
 * under the current version (nothing to gain from a new IV, and rotation can tell "no change").
 */
export function reencrypt(token: string, context = ""): string {
  return reencryptWith(getKeyring(), token, context);
}

/** The current key version and every configured one (for status output; no key material). */
export function keyVersions(): { current: number; configured: number[] } {
  const keyring = getKeyring();
  return { current: keyring.current.version, configured: keyring.entries.map((e) => e.version) };
}
