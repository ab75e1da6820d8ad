import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/**
 * Compares two secrets in time independent of where they differ. Both sides are hashed first,
 * so the comparison also takes the same time whatever their lengths.
 */
export function safeEqual(a: string, b: string): boolean {
  // UTF-16 code units, not UTF-8: lone surrogates would all encode to U+FFFD and compare equal.
  const ha = createHash("sha256").update(Buffer.from(a, "utf16le")).digest();
  const hb = createHash("sha256").update(Buffer.from(b, "utf16le")).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** A new random token: `<prefix>_` + 32 random bytes in base64url (43 characters). */
export function randomToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString("base64url")}`;
}
