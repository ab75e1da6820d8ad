/**
 * Search hashes: keyed (not guessable from the value), separate from the encryption key,
 * equal for equal normalised values, and still usable for lookups across a key rotation.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  isSearchHash,
  normalizeForSearch,
  searchHash,
  searchHashes,
  searchHashNeedsRotation,
  searchHashOptional,
  searchHashVersionOf,
} from "@/privacy/crypto";

const K1 = randomBytes(32).toString("base64");
const K2 = randomBytes(32).toString("base64");

beforeEach(() => {
  vi.stubEnv("ENCRYPTION_KEYS", `1:${K1}`);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("normalizeForSearch", () => {
  it("emails: trims, lowercases and composes Unicode, without provider-specific rewriting", () => {
    expect(normalizeForSearch("  Alice.Smith+Shop@Example.COM \n", "email")).toBe("alice.smith+shop@example.com");
    expect(normalizeForSearch("Jose\u0301@example.com", "email")).toBe(
      normalizeForSearch("JOS\u00c9@example.com", "email"),
    );
  });

  it("phones: ASCII digits only, with a + kept when it comes before the first digit", () => {
    expect(normalizeForSearch("+33 6 12-34-56-78", "phone")).toBe("+33612345678");
    expect(normalizeForSearch("(+33) 6.12.34.56.78", "phone")).toBe("+33612345678");
    expect(normalizeForSearch("06 12 34 56 78", "phone")).toBe("0612345678");
    expect(normalizeForSearch("1-800-FLOWERS ext+12", "phone")).toBe("180012");
    expect(normalizeForSearch("＋３３ ６", "phone")).toBe("+336");
    expect(normalizeForSearch("n/a", "phone")).toBe("");
  });
});

describe("searchHash", () => {
  it("is h1:<current version>:<64 hex> and equal for values that normalise alike", () => {
    const hash = searchHash("Alice@Example.com", "email");
    expect(hash).toMatch(/^h1:1:[0-9a-f]{64}$/);
    expect(searchHash(" alice@example.COM ", "email")).toBe(hash);
    expect(searchHash("alicia@example.com", "email")).not.toBe(hash);
    expect(searchHash("+33 6 12 34 56 78", "phone")).toBe(searchHash("+33.6.12.34.56.78", "phone"));
    expect(searchHash("+33612345678", "phone")).not.toBe(searchHash("33612345678", "phone"));
  });

  it("is deterministic and injective enough: distinct normalised emails never collide (property)", () => {
    fc.assert(
      fc.property(fc.emailAddress(), fc.emailAddress(), (a, b) => {
        const same = normalizeForSearch(a, "email") === normalizeForSearch(b, "email");
        expect(searchHash(a, "email") === searchHash(b, "email")).toBe(same);
      }),
      { numRuns: 200 },
    );
  });

  it("separates kinds: the same text hashed as an email and as a phone differs", () => {
    expect(searchHash("12345", "email")).not.toBe(searchHash("12345", "phone"));
  });

  it("is keyed by a derived key: not a plain SHA-256, not an HMAC under the encryption key itself", () => {
    const hex = searchHash("alice@example.com", "email").split(":")[2];
    const raw = Buffer.from(K1, "base64");
    for (const message of ["alice@example.com", "email:alice@example.com"]) {
      expect(hex).not.toBe(createHash("sha256").update(message).digest("hex"));
      expect(hex).not.toBe(createHmac("sha256", raw).update(message).digest("hex"));
    }
    vi.stubEnv("ENCRYPTION_KEYS", `1:${K2}`);
    expect(searchHash("alice@example.com", "email").split(":")[2]).not.toBe(hex);
  });

  it("refuses a value with nothing to search for; the optional form gives null instead", () => {
    expect(() => searchHash("   ", "email")).toThrow(TypeError);
    expect(() => searchHash("n/a", "phone")).toThrow(/empty after normalisation/);
    expect(searchHashOptional("n/a", "phone")).toBeNull();
    expect(searchHashOptional(null, "email")).toBeNull();
    expect(searchHashOptional(undefined, "email")).toBeNull();
    expect(searchHashOptional("Alice@example.com", "email")).toBe(searchHash("alice@example.com", "email"));
    expect(searchHashes(" ", "email")).toEqual([]);
  });
});

describe("search hashes across a key rotation", () => {
  it("a hash stored under version 1 is still found by lookups after version 2 is added", () => {
    const stored = searchHash("alice@example.com", "email");
    vi.stubEnv("ENCRYPTION_KEYS", `1:${K1},2:${K2}`);
    const lookup = searchHashes("ALICE@example.com", "email");
    expect(lookup).toHaveLength(2);
    expect(lookup).toContain(stored);
    // New rows are hashed under the current version, which lookups try first.
    expect(searchHash("alice@example.com", "email")).toMatch(/^h1:2:/);
    expect(lookup[0]).toBe(searchHash("alice@example.com", "email"));
    expect(searchHashes("bob@example.com", "email")).not.toContain(stored);
  });

  it("the hash under a given version never changes, whatever other versions are listed", () => {
    const underOne = searchHash("alice@example.com", "email");
    vi.stubEnv("ENCRYPTION_KEYS", `1:${K1},2:${K2}`);
    const underTwo = searchHash("alice@example.com", "email");
    expect(searchHashes("alice@example.com", "email")).toEqual([underTwo, underOne]);
    vi.stubEnv("ENCRYPTION_KEYS", `2:${K2}`);
    expect(searchHash("alice@example.com", "email")).toBe(underTwo);
    expect(searchHashes("alice@example.com", "email")).toEqual([underTwo]);
  });

  it("names its version, and needs rotation when that version is older than the current one", () => {
    const old = searchHash("alice@example.com", "email");
    expect(searchHashVersionOf(old)).toBe(1);
    expect(searchHashNeedsRotation(old)).toBe(false);
    vi.stubEnv("ENCRYPTION_KEYS", `1:${K1},2:${K2}`);
    expect(searchHashNeedsRotation(old)).toBe(true);
    expect(searchHashNeedsRotation(searchHash("alice@example.com", "email"))).toBe(false);
    expect(isSearchHash(old)).toBe(true);
    expect(isSearchHash("alice@example.com")).toBe(false);
    expect(searchHashVersionOf("h1:x:00")).toBeUndefined();
    expect(searchHashNeedsRotation("not a hash")).toBe(true);
  });
});
