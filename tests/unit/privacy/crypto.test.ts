/**
 * Field encryption: AES-256-GCM tokens that round-trip any Unicode text, never repeat an IV,
 * are bound to their context and key version, refuse any alteration with a DecryptionError that
 * leaks nothing, and survive a key rotation.
 */
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  DecryptionError,
  decryptField,
  decryptOptional,
  encryptField,
  encryptOptional,
  isEncrypted,
  keyVersionOf,
  keyVersions,
  needsRotation,
  reencrypt,
} from "@/privacy/crypto";

const K1 = randomBytes(32).toString("base64");
const K2 = randomBytes(32).toString("base64");
const K3 = randomBytes(32).toString("base64");
const TOKEN_SHAPE = /^enc:v(\d+):([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]+)$/;
const EMAIL = "orders.customer_email";
const PHONE = "orders.customer_phone";

beforeEach(() => {
  vi.stubEnv("ENCRYPTION_KEYS", `1:${K1}`);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

function decryptionFailure(fn: () => unknown): DecryptionError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DecryptionError) return error;
    throw new Error(`expected a DecryptionError, got ${String(error)}`);
  }
  throw new Error("expected decryption to fail, but it succeeded");
}

describe("encryptField / decryptField", () => {
  it("round-trips any Unicode string, the empty one included, under any context", () => {
    expect(decryptField(encryptField("", EMAIL), EMAIL)).toBe("");
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 200 }),
        fc.string({ unit: "binary", maxLength: 40 }),
        (plaintext, context) => {
          expect(decryptField(encryptField(plaintext, context), context)).toBe(plaintext);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("writes enc:v<version>:<iv>.<ciphertext>.<tag> with a 12-byte IV, a 16-byte tag and no plaintext", () => {
    const plaintext = "Zoë Müller <zoe@example.com> ☎ +33 6 12 34 56 78";
    const token = encryptField(plaintext, EMAIL);
    const [, version, iv, ciphertext, tag] = TOKEN_SHAPE.exec(token) ?? [];
    expect(version).toBe("1");
    expect(Buffer.from(iv!, "base64url")).toHaveLength(12);
    expect(Buffer.from(tag!, "base64url")).toHaveLength(16);
    expect(Buffer.from(ciphertext!, "base64url")).toHaveLength(Buffer.byteLength(plaintext, "utf8"));
    expect(token).not.toContain("zoe");
    expect(Buffer.from(ciphertext!, "base64url").toString("utf8")).not.toContain("zoe");
  });

  it("uses a fresh IV every time, so equal plaintexts give different tokens", () => {
    const tokens = Array.from({ length: 200 }, () => encryptField("same@example.com", EMAIL));
    const ivs = tokens.map((t) => TOKEN_SHAPE.exec(t)?.[2]);
    expect(new Set(ivs).size).toBe(200);
    expect(new Set(tokens).size).toBe(200);
  });

  it("fails with another context: a ciphertext moved to another column does not decrypt", () => {
    const token = encryptField("alice@example.com", EMAIL);
    const error = decryptionFailure(() => decryptField(token, PHONE));
    expect(error.reason).toBe("authentication_failed");
    expect(decryptionFailure(() => decryptField(token)).reason).toBe("authentication_failed");
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 30 }),
        fc.string({ unit: "binary", maxLength: 30 }),
        (a, b) => {
          fc.pre(a !== b);
          expect(decryptionFailure(() => decryptField(encryptField("x", a), b)).reason).toBe("authentication_failed");
        },
      ),
      { numRuns: 100 },
    );
  });

  it("fails on any single-character change to the token", () => {
    const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:=+/ é";
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 60 }),
        fc.nat(),
        fc.constantFrom(...chars),
        (plaintext, position, replacement) => {
          const token = encryptField(plaintext, EMAIL);
          const index = position % token.length;
          fc.pre(token[index] !== replacement);
          const tampered = token.slice(0, index) + replacement + token.slice(index + 1);
          decryptionFailure(() => decryptField(tampered, EMAIL));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("fails on any truncation or extension of the token", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 60 }),
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 3 }),
        (plaintext, cut, extra) => {
          const token = encryptField(plaintext, EMAIL);
          decryptionFailure(() => decryptField(token.slice(0, cut % token.length), EMAIL));
          decryptionFailure(() => decryptField(token + extra, EMAIL));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("fails with unknown_key_version for a version ENCRYPTION_KEYS does not list", () => {
    const token = encryptField("alice@example.com", EMAIL);
    vi.stubEnv("ENCRYPTION_KEYS", `2:${K2}`);
    const error = decryptionFailure(() => decryptField(token, EMAIL));
    expect(error.reason).toBe("unknown_key_version");
    expect(error.message).toContain("key version 1 is not configured");
  });

  it("fails when a token is relabelled with another configured version", () => {
    const token = encryptField("alice@example.com", EMAIL);
    vi.stubEnv("ENCRYPTION_KEYS", `1:${K1},2:${K2}`);
    const relabelled = token.replace(/^enc:v1:/, "enc:v2:");
    expect(decryptionFailure(() => decryptField(relabelled, EMAIL)).reason).toBe("authentication_failed");
  });

  it("reports malformed input without echoing it (a clear value passed by mistake stays out of logs)", () => {
    for (const value of ["alice@example.com", "", "enc:v1:", "enc:v1:abc.def.ghi", "ENC:V1:x.y.z"]) {
      const error = decryptionFailure(() => decryptField(value, EMAIL));
      expect(error.reason).toBe("malformed");
      if (value !== "") expect(error.message).not.toContain(value);
    }
  });

  it("never puts the plaintext, the token or the key in a DecryptionError", () => {
    const plaintext = "secret-customer@example.com";
    const token = encryptField(plaintext, EMAIL);
    const errors = [
      decryptionFailure(() => decryptField(token, PHONE)),
      decryptionFailure(() => decryptField(token.slice(0, -3) + "AAA", EMAIL)),
    ];
    vi.stubEnv("ENCRYPTION_KEYS", `2:${K2}`);
    errors.push(decryptionFailure(() => decryptField(token, EMAIL)));
    for (const error of errors) {
      const text = `${error.message} ${String(error.stack)} ${JSON.stringify(error)}`;
      expect(text).not.toContain(plaintext);
      expect(text).not.toContain(token.split(":")[2]!.slice(0, 16));
      expect(text).not.toContain(K1.slice(0, 16));
      expect(text).not.toContain(K2.slice(0, 16));
      expect(error.name).toBe("DecryptionError");
      expect(error.code).toBe("decryption_failed");
    }
  });

  it("refuses a plaintext with a lone surrogate rather than storing a corrupted value", () => {
    expect(() => encryptField("abc\ud800", EMAIL)).toThrow(TypeError);
    expect(() => encryptField("\udc00", EMAIL)).toThrow(/not well-formed Unicode/);
    expect(decryptField(encryptField("😀", EMAIL), EMAIL)).toBe("😀");
  });
});

describe("encryptOptional / decryptOptional", () => {
  it("pass null and undefined through and encrypt or decrypt strings", () => {
    expect(encryptOptional(null, EMAIL)).toBeNull();
    expect(encryptOptional(undefined, EMAIL)).toBeUndefined();
    expect(decryptOptional(null, EMAIL)).toBeNull();
    expect(decryptOptional(undefined, EMAIL)).toBeUndefined();
    const token = encryptOptional("alice@example.com", EMAIL);
    expect(isEncrypted(token)).toBe(true);
    expect(decryptOptional(token, EMAIL)).toBe("alice@example.com");
    expect(decryptOptional(encryptOptional("", EMAIL), EMAIL)).toBe("");
  });

  it("still fail on a bad token", () => {
    expect(() => decryptOptional("alice@example.com", EMAIL)).toThrow(DecryptionError);
  });
});

describe("isEncrypted / keyVersionOf", () => {
  it("recognise exactly the tokens encryptField makes", () => {
    const token = encryptField("alice@example.com", EMAIL);
    expect(isEncrypted(token)).toBe(true);
    expect(keyVersionOf(token)).toBe(1);
    for (const value of [
      null,
      undefined,
      42,
      {},
      "",
      "alice@example.com",
      token.slice(0, -1),
      `${token}A`,
      token.replace("enc:v1:", "enc:v01:"),
    ]) {
      expect(isEncrypted(value)).toBe(false);
    }
  });

  it("keyVersionOf throws a malformed DecryptionError for a non-token", () => {
    expect(decryptionFailure(() => keyVersionOf("alice@example.com")).reason).toBe("malformed");
  });
});

describe("key rotation", () => {
  it("keeps old tokens readable, encrypts new ones under the highest version, and reencrypts old ones", () => {
    const values = ["alice@example.com", "", "☃ snowman street 12"];
    const old = values.map((v) => encryptField(v, EMAIL));
    expect(old.map(keyVersionOf)).toEqual([1, 1, 1]);
    expect(old.map(needsRotation)).toEqual([false, false, false]);

    vi.stubEnv("ENCRYPTION_KEYS", `1:${K1},2:${K2}`);
    expect(keyVersions()).toEqual({ current: 2, configured: [1, 2] });
    expect(old.map((t) => decryptField(t, EMAIL))).toEqual(values);
    const fresh = encryptField("bob@example.com", EMAIL);
    expect(keyVersionOf(fresh)).toBe(2);
    expect(needsRotation(fresh)).toBe(false);
    expect(old.map(needsRotation)).toEqual([true, true, true]);

    const rotated = old.map((t) => reencrypt(t, EMAIL));
    expect(rotated.map(keyVersionOf)).toEqual([2, 2, 2]);
    expect(rotated.map(needsRotation)).toEqual([false, false, false]);

    // The old key can now go: the rotated tokens no longer need it, the old ones do.
    vi.stubEnv("ENCRYPTION_KEYS", `2:${K2}`);
    expect(rotated.map((t) => decryptField(t, EMAIL))).toEqual(values);
    expect(decryptField(fresh, EMAIL)).toBe("bob@example.com");
    expect(decryptionFailure(() => decryptField(old[0]!, EMAIL)).reason).toBe("unknown_key_version");
  });

  it("reencrypt leaves a current token as it is, but still verifies it", () => {
    const token = encryptField("alice@example.com", EMAIL);
    expect(reencrypt(token, EMAIL)).toBe(token);
    expect(decryptionFailure(() => reencrypt(token, PHONE)).reason).toBe("authentication_failed");
  });

  it("reencrypt refuses an old token under the wrong context instead of relabelling it", () => {
    const token = encryptField("alice@example.com", EMAIL);
    vi.stubEnv("ENCRYPTION_KEYS", `1:${K1},2:${K2}`);
    expect(decryptionFailure(() => reencrypt(token, PHONE)).reason).toBe("authentication_failed");
  });

  it("jumps straight to the current version across several rotations", () => {
    const token = encryptField("alice@example.com", EMAIL);
    vi.stubEnv("ENCRYPTION_KEYS", `1:${K1},2:${K2},3:${K3}`);
    const rotated = reencrypt(token, EMAIL);
    expect(keyVersionOf(rotated)).toBe(3);
    vi.stubEnv("ENCRYPTION_KEYS", `3:${K3}`);
    expect(decryptField(rotated, EMAIL)).toBe("alice@example.com");
  });
});
