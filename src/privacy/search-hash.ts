/**
 * Search hashes: a keyed hash (HMAC-SHA256) of a normalised email or phone, stored next to its
 * ciphertext so "find the orders of alice@example.com" is an equality lookup that never needs
 * the plaintext in the database. A plain SHA-256 would not do: emails and phones are guessable,
 * so an unkeyed hash is reversible by brute force; the HMAC key keeps that off the table.
 *
 * Format: `h1:<key version>:<64 hex chars>` (`h1` is the scheme: HKDF info `search-hash/v1`,
 * HMAC over `<kind>:<normalised value>`, so an email and a phone never share a hash).
 *
 * Decision: which key? The HMAC key of version N is HKDF-SHA256(key N, info "search-hash/v1"),
 * never the AES key itself, and NEW hashes use the CURRENT (highest) version, like ciphertexts.
 * A hash names its version, and a lookup computes the hash under EVERY configured version (a
 * handful: `searchHashes`) and matches any (`where email_hash in (...)`), so adding a key never
 * breaks a lookup. `keys:rotate` recomputes old hashes in the same row update that re-encrypts
 * their column (it has the plaintext then), so "every token and every hash is on the current
 * version" becomes true at the same moment, and the old key can then be removed safely.
 *
 * Rejected alternatives:
 * - hashing under the lowest configured version: the hashes could only move off a retiring key
 *   after it is removed (while it is listed it stays the lowest), so lookups of old rows would
 *   break between removing the key and the next rotation run;
 * - a separate never-rotated hash key: one more secret to manage, and no way to rotate it.
 * The one cost of ours: during a rotation the same email may carry hashes of two versions, so a
 * UNIQUE constraint on a hash column would not hold; group or deduplicate on decrypted values,
 * or only after the rotation finished.
 *
 * Normalisation, before hashing: email = trim, Unicode NFC, lowercase (no provider-specific
 * rules such as dropping dots or `+tags`); phone = NFKC (full-width digits become ASCII), then
 * ASCII digits only, with a `+` kept if one comes before the first digit. We do not guess
 * country codes: `+33 6 12 34 56 78` and `06 12 34 56 78` hash differently.
 */
import { createHmac } from "node:crypto";
import { getKeyring, MAX_KEY_VERSION, type KeyEntry } from "./keys";

export type SearchHashKind = "email" | "phone";

const SEARCH_HASH = /^h1:([1-9][0-9]{0,8}):([0-9a-f]{64})$/;

/** The normalised form of a value, as it is hashed (may be empty: nothing to search for). */
export function normalizeForSearch(value: string, kind: SearchHashKind): string {
  if (kind === "email") return value.trim().normalize("NFC").toLowerCase();
  const text = value.normalize("NFKC");
  const firstDigit = text.search(/[0-9]/);
  if (firstDigit < 0) return "";
  const plus = text.slice(0, firstDigit).includes("+") ? "+" : "";
  return plus + text.replace(/[^0-9]/g, "");
}

function hashWith(entry: KeyEntry, normalized: string, kind: SearchHashKind): string {
  const digest = createHmac("sha256", entry.searchHashKey()).update(`${kind}:${normalized}`, "utf8").digest("hex");
  return `h1:${entry.version}:${digest}`;
}

function normalizedOrThrow(value: string, kind: SearchHashKind): string {
  const normalized = normalizeForSearch(value, kind);
  if (normalized === "")
    throw new TypeError(`searchHash: the ${kind} is empty after normalisation; there is nothing to search for`);
  return normalized;
}

/** Internal: the hash of a value under one key entry (rotation passes its own keyring). */
export function searchHashUnder(entry: KeyEntry, value: string, kind: SearchHashKind): string {
  return hashWith(entry, normalizedOrThrow(value, kind), kind);
}

/** The hash to STORE for a value: under the current key version. Throws if it normalises to "". */
export function searchHash(value: string, kind: SearchHashKind): string {
  return searchHashUnder(getKeyring().current, value, kind);
}

/** `searchHash`, but null for null, undefined, or a value that normalises to nothing. */
export function searchHashOptional(value: string | null | undefined, kind: SearchHashKind): string | null {
  if (value == null || normalizeForSearch(value, kind) === "") return null;
  return searchHash(value, kind);
}

/**
 * The hashes to LOOK UP a value with: one per configured key version, current first, so rows
 * hashed before a rotation are still found. Empty when the value normalises to nothing.
 */
export function searchHashes(value: string, kind: SearchHashKind): string[] {
  const normalized = normalizeForSearch(value, kind);
  if (normalized === "") return [];
  return [...getKeyring().entries].reverse().map((entry) => hashWith(entry, normalized, kind));
}

/** Whether a value has the shape of a search hash (`h1:<version>:<hex>`). */
export function isSearchHash(value: unknown): value is string {
  return typeof value === "string" && SEARCH_HASH.test(value);
}

/** The key version a search hash was computed under, or undefined if it is not one. */
export function searchHashVersionOf(hash: string): number | undefined {
  const match = SEARCH_HASH.exec(hash);
  const version = match ? Number(match[1]) : undefined;
  return version !== undefined && version <= MAX_KEY_VERSION ? version : undefined;
}

/** Whether a stored hash should be recomputed: not a hash at all, or under an older version. */
export function searchHashNeedsRotation(hash: string): boolean {
  const version = searchHashVersionOf(hash);
  return version === undefined || version < getKeyring().current.version;
}
