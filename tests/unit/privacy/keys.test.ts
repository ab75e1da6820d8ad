/**
 * ENCRYPTION_KEYS parsing: the highest version encrypts, every listed one decrypts, and every
 * malformed value is refused with a message that names the problem but never the key material.
 */
import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError } from "@/env";
import { decryptField, encryptField, keyVersionOf } from "@/privacy/crypto";
import { getKeyring, parseEncryptionKeys } from "@/privacy/keys";

afterEach(() => {
  vi.unstubAllEnvs();
});

const key = (bytes = 32) => randomBytes(bytes).toString("base64");

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the function to throw");
}

/** Every 8-character window of a secret: none may appear in an error message. */
function windows(secret: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++) out.push(secret.slice(i, i + 8));
  return out;
}

describe("parseEncryptionKeys accepts", () => {
  it("one key, which is then the current one", () => {
    const ring = parseEncryptionKeys(`1:${key()}`);
    expect(ring.current.version).toBe(1);
    expect(ring.entries.map((e) => e.version)).toEqual([1]);
  });

  it("several keys in any order, the highest version being current", () => {
    const ring = parseEncryptionKeys(`3:${key()},1:${key()},2:${key()}`);
    expect(ring.current.version).toBe(3);
    expect(ring.entries.map((e) => e.version)).toEqual([1, 2, 3]);
    expect(ring.get(2)?.version).toBe(2);
    expect(ring.get(4)).toBeUndefined();
  });

  it("whitespace around entries, and the base64url or unpadded spelling of the same key", () => {
    const bytes = randomBytes(32);
    vi.stubEnv("ENCRYPTION_KEYS", `1:${bytes.toString("base64")}`);
    const token = encryptField("alice@example.com", "t.c");
    vi.stubEnv("ENCRYPTION_KEYS", ` 1:${bytes.toString("base64url")} `);
    expect(decryptField(token, "t.c")).toBe("alice@example.com");
    vi.stubEnv("ENCRYPTION_KEYS", `1:${bytes.toString("base64").replace(/=+$/, "")} , 2:${key()}`);
    expect(decryptField(token, "t.c")).toBe("alice@example.com");
  });

  it("keeps key bytes out of JSON and inspection output", () => {
    const material = key();
    const ring = parseEncryptionKeys(`1:${material}`);
    const hex = Buffer.from(material, "base64").toString("hex");
    const dumped = JSON.stringify(ring) + inspect(ring, { depth: 10, showHidden: true });
    expect(dumped).not.toContain(material);
    expect(dumped).not.toContain(hex);
  });
});

describe("parseEncryptionKeys refuses, naming the problem but not the key", () => {
  const k = key();
  const k2 = key();
  const k16 = key(16);
  const k33 = key(33);
  // A canonical 32-byte key ends in "<char>=" where the char carries 2 data bits; flipping its
  // low bits gives text that Node decodes to the same bytes but that is not that key's base64.
  const lastChar = k.at(-2) ?? "A";
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const nonCanonical = `${k.slice(0, -2)}${alphabet[alphabet.indexOf(lastChar) ^ 1]}=`;

  const cases: { name: string; value: string; message: RegExp; secrets: string[] }[] = [
    { name: "an empty value", value: "  ", message: /empty/, secrets: [] },
    { name: "a 16-byte key", value: `1:${k16}`, message: /version 1\).*16 bytes, expected exactly 32/, secrets: [k16] },
    { name: "a 33-byte key", value: `1:${k33}`, message: /33 bytes, expected exactly 32/, secrets: [k33] },
    { name: "a key without a version", value: k, message: /entry 1 has no "<version>:" prefix/, secrets: [k] },
    {
      name: "the key and version swapped",
      value: `${k}:1`,
      message: /entry 1: the version is not a positive integer/,
      secrets: [k],
    },
    { name: "version 0", value: `0:${k}`, message: /the version is not a positive integer/, secrets: [k] },
    { name: "a version with a leading zero", value: `01:${k}`, message: /without leading zeros/, secrets: [k] },
    { name: "a negative version", value: `-1:${k}`, message: /the version is not a positive integer/, secrets: [k] },
    { name: "a huge version", value: `1000000000:${k}`, message: /larger than 999999999/, secrets: [k] },
    { name: "a version listed twice", value: `1:${k},1:${k2}`, message: /version 1 is listed twice/, secrets: [k, k2] },
    {
      name: "one key under two versions",
      value: `1:${k},2:${k}`,
      message: /versions 1 and 2 have the same key/,
      secrets: [k],
    },
    { name: "a trailing comma", value: `1:${k},`, message: /entry 2 is empty/, secrets: [k] },
    {
      name: "characters outside base64",
      value: `1:${k.slice(0, 20)}!*${k.slice(22)}`,
      message: /not base64/,
      secrets: [k.slice(0, 20), k.slice(22)],
    },
    { name: "non-canonical base64", value: `1:${nonCanonical}`, message: /not valid base64/, secrets: [nonCanonical] },
    { name: "a bad second entry", value: `1:${k},2:${k16}`, message: /entry 2 \(version 2\)/, secrets: [k, k16] },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const error = thrown(() => parseEncryptionKeys(c.value));
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toMatch(/^Invalid ENCRYPTION_KEYS: /);
      expect(message).toMatch(c.message);
      for (const secret of c.secrets) for (const w of windows(secret)) expect(message).not.toContain(w);
    });
  }

  it("through the environment too: encryptField fails with the same clean ConfigError", () => {
    vi.stubEnv("ENCRYPTION_KEYS", `1:${k16}`);
    const error = thrown(() => encryptField("x"));
    expect(error).toBeInstanceOf(ConfigError);
    for (const w of windows(k16)) expect((error as Error).message).not.toContain(w);
  });
});

describe("getKeyring", () => {
  it("parses once per ENCRYPTION_KEYS value and follows a changed value", () => {
    vi.stubEnv("ENCRYPTION_KEYS", `1:${key()}`);
    const first = getKeyring();
    expect(getKeyring()).toBe(first);
    vi.stubEnv("ENCRYPTION_KEYS", `1:${key()},5:${key()}`);
    const second = getKeyring();
    expect(second).not.toBe(first);
    expect(second.current.version).toBe(5);
  });

  it("falls back to the generated development key when ENCRYPTION_KEYS is unset (outside production)", () => {
    vi.stubEnv("ENCRYPTION_KEYS", undefined);
    const token = encryptField("bob@example.com", "t.c");
    expect(keyVersionOf(token)).toBe(1);
    expect(decryptField(token, "t.c")).toBe("bob@example.com");
  });

  it("is not read when the module loads: a broken value fails the call, not the import", async () => {
    vi.stubEnv("ENCRYPTION_KEYS", "not a key");
    vi.resetModules();
    const fresh = await import("@/privacy/crypto");
    // (A fresh module graph has its own ConfigError class, hence the check by code.)
    expect(() => fresh.encryptField("x")).toThrow(
      expect.objectContaining({ code: "config_error", message: expect.stringMatching(/^Invalid ENCRYPTION_KEYS/) }),
    );
  });
});
