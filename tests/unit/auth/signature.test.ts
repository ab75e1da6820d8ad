import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { safeEqual } from "@/auth/secrets";
import {
  SIGNATURE_TOLERANCE_SECONDS,
  signBody,
  signRequest,
  verifyRequestSignature,
  verifySignature,
} from "@/auth/signature";

const SECRET = "inter-agent-test-secret";
const NOW = 1_750_000_000;
const BODY = JSON.stringify({ runId: "run_123", status: "done" });

function macOf(secret: string, timestamp: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

describe("signBody", () => {
  it("produces t=<seconds>,v1=<hex HMAC-SHA256 of '<t>.<body>'>", () => {
    expect(signBody(SECRET, BODY, NOW)).toBe(`t=${NOW},v1=${macOf(SECRET, NOW, BODY)}`);
  });

  it("defaults the timestamp to the current unix time in seconds", () => {
    const before = Math.floor(Date.now() / 1000);
    const header = signBody(SECRET, BODY);
    const after = Math.floor(Date.now() / 1000);
    const t = Number(/^t=(\d+),/.exec(header)?.[1]);
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(after);
    expect(verifySignature(SECRET, header, BODY)).toEqual({ ok: true });
  });
});

describe("verifySignature", () => {
  it("accepts a signature made by signBody for the same secret and body", () => {
    expect(verifySignature(SECRET, signBody(SECRET, BODY, NOW), BODY, NOW)).toEqual({ ok: true });
  });

  it("accepts the empty body when it was signed", () => {
    expect(verifySignature(SECRET, signBody(SECRET, "", NOW), "", NOW)).toEqual({ ok: true });
  });

  it("rejects a tampered body as a mismatch", () => {
    const header = signBody(SECRET, BODY, NOW);
    const tampered = BODY.replace("done", "fail");
    expect(verifySignature(SECRET, header, tampered, NOW)).toEqual({ ok: false, reason: "mismatch" });
    expect(verifySignature(SECRET, header, BODY + " ", NOW)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("rejects a signature made with a different secret as a mismatch", () => {
    const header = signBody("another-secret", BODY, NOW);
    expect(verifySignature(SECRET, header, BODY, NOW)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("rejects a signature whose timestamp was changed as a mismatch (t is part of the MAC)", () => {
    const mac = macOf(SECRET, NOW, BODY);
    expect(verifySignature(SECRET, `t=${NOW + 1},v1=${mac}`, BODY, NOW)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("reports a missing header as missing", () => {
    expect(verifySignature(SECRET, null, BODY, NOW)).toEqual({ ok: false, reason: "missing" });
    expect(verifySignature(SECRET, "", BODY, NOW)).toEqual({ ok: false, reason: "missing" });
  });

  it.each([
    ["missing v1", `t=${NOW}`],
    ["empty v1", `t=${NOW},v1=`],
    ["non-hex v1", `t=${NOW},v1=${"z".repeat(64)}`],
    ["v1 too short", `t=${NOW},v1=${"a".repeat(63)}`],
    ["v1 too long", `t=${NOW},v1=${"a".repeat(65)}`],
    ["missing t", `v1=${"a".repeat(64)}`],
    ["non-numeric t", `t=soon,v1=${"a".repeat(64)}`],
    ["fractional t", `t=${NOW}.5,v1=${"a".repeat(64)}`],
    ["garbage", "garbage"],
    // The replay guard records one v1: a header may not carry two (t=T,v1=<junk>,v1=<mac> replayed a captured call).
    ["v1 twice", `t=${NOW},v1=${"a".repeat(64)},v1=${"b".repeat(64)}`],
    ["t twice", `t=${NOW},t=${NOW},v1=${"a".repeat(64)}`],
  ])("reports a header with %s as malformed", (_label, header) => {
    expect(verifySignature(SECRET, header, BODY, NOW)).toEqual({ ok: false, reason: "malformed" });
  });

  it("accepts upper-case hex, spaces around parts and either order of t and v1", () => {
    const mac = macOf(SECRET, NOW, BODY);
    expect(verifySignature(SECRET, `t=${NOW},v1=${mac.toUpperCase()}`, BODY, NOW)).toEqual({ ok: true });
    expect(verifySignature(SECRET, ` t=${NOW} , v1=${mac} `, BODY, NOW)).toEqual({ ok: true });
    expect(verifySignature(SECRET, `v1=${mac},t=${NOW}`, BODY, NOW)).toEqual({ ok: true });
  });

  it("rejects a timestamp more than 300 s in the past or future as expired", () => {
    expect(SIGNATURE_TOLERANCE_SECONDS).toBe(300);
    const old = signBody(SECRET, BODY, NOW - 301);
    const future = signBody(SECRET, BODY, NOW + 301);
    expect(verifySignature(SECRET, old, BODY, NOW)).toEqual({ ok: false, reason: "expired" });
    expect(verifySignature(SECRET, future, BODY, NOW)).toEqual({ ok: false, reason: "expired" });
    expect(verifySignature(SECRET, signBody(SECRET, BODY, 0), BODY, NOW)).toEqual({ ok: false, reason: "expired" });
  });

  it("accepts a timestamp exactly 300 s in the past or future", () => {
    expect(verifySignature(SECRET, signBody(SECRET, BODY, NOW - 300), BODY, NOW)).toEqual({ ok: true });
    expect(verifySignature(SECRET, signBody(SECRET, BODY, NOW + 300), BODY, NOW)).toEqual({ ok: true });
  });

  it("checks the window before the MAC, so an expired forgery is reported as expired", () => {
    expect(verifySignature(SECRET, `t=${NOW - 1000},v1=${"0".repeat(64)}`, BODY, NOW)).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  describe("properties", () => {
    const timestamp = fc.integer({ min: 0, max: 4_000_000_000 });
    const skew = fc.integer({ min: -SIGNATURE_TOLERANCE_SECONDS, max: SIGNATURE_TOLERANCE_SECONDS });
    const bodies = fc.oneof(fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }), fc.json());

    it("a signature verifies for the body it was made for, anywhere within the window", () => {
      fc.assert(
        fc.property(fc.string({ minLength: 1 }), bodies, timestamp, skew, (secret, body, t, d) => {
          expect(verifySignature(secret, signBody(secret, body, t), body, t + d)).toEqual({ ok: true });
        }),
      );
    });

    it("a signature fails for any different body", () => {
      fc.assert(
        fc.property(bodies, bodies, timestamp, (body, other, t) => {
          fc.pre(body !== other);
          expect(verifySignature(SECRET, signBody(SECRET, body, t), other, t)).toEqual({
            ok: false,
            reason: "mismatch",
          });
        }),
      );
    });

    it("a signature fails once characters are appended or prepended to the body", () => {
      fc.assert(
        fc.property(bodies, fc.string({ unit: "binary", minLength: 1, maxLength: 3 }), timestamp, (body, extra, t) => {
          const header = signBody(SECRET, body, t);
          expect(verifySignature(SECRET, header, body + extra, t).ok).toBe(false);
          expect(verifySignature(SECRET, header, extra + body, t).ok).toBe(false);
        }),
      );
    });

    it("a signature fails under any other secret", () => {
      fc.assert(
        fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), bodies, timestamp, (a, b, body, t) => {
          fc.pre(a !== b);
          expect(verifySignature(b, signBody(a, body, t), body, t)).toEqual({ ok: false, reason: "mismatch" });
        }),
      );
    });
  });
});

describe("safeEqual", () => {
  it("is true for equal strings", () => {
    expect(safeEqual("aok_abcdef", "aok_abcdef")).toBe(true);
    expect(safeEqual("", "")).toBe(true);
  });

  it("is false for different strings of the same length", () => {
    expect(safeEqual("aok_abcdef", "aok_abcdeg")).toBe(false);
    expect(safeEqual("Secret", "secret")).toBe(false);
  });

  it("is false for strings of different lengths, including a prefix", () => {
    expect(safeEqual("secret", "secret-longer")).toBe(false);
    expect(safeEqual("secret", "secre")).toBe(false);
    expect(safeEqual("", "x")).toBe(false);
  });

  it("agrees with === for arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
        expect(safeEqual(a, b)).toBe(a === b);
        expect(safeEqual(a, a)).toBe(true);
      }),
    );
  });
});

describe("signature timestamps", () => {
  it("rejects an empty, exponent or hex timestamp as malformed", () => {
    for (const t of ["", "1e9", "0x10", "-5", "1.5"]) {
      expect(verifySignature("s", `t=${t},v1=${"a".repeat(64)}`, "{}", 0)).toEqual({ ok: false, reason: "malformed" });
    }
  });
});

describe("signRequest / verifyRequestSignature (internal calls: method, path and body)", () => {
  const request = { method: "POST", path: "/api/agents/orders/validate_order", body: BODY };

  it("accepts the request it was made for", () => {
    expect(verifyRequestSignature(SECRET, signRequest(SECRET, request, NOW), request, NOW)).toEqual({ ok: true });
    expect(
      verifyRequestSignature(
        SECRET,
        signRequest(SECRET, { method: "get", path: "/api/agents/core/health", body: "" }, NOW),
        { method: "GET", path: "/api/agents/core/health", body: "" },
        NOW,
      ),
    ).toEqual({ ok: true });
  });

  it("refuses the same signature on another path, another method or another body", () => {
    const header = signRequest(SECRET, request, NOW);
    expect(
      verifyRequestSignature(SECRET, header, { ...request, path: "/api/agents/orders/submit_to_supplier" }, NOW),
    ).toEqual({ ok: false, reason: "mismatch" });
    expect(
      verifyRequestSignature(SECRET, header, { ...request, path: "/api/agents/core/validate_order" }, NOW),
    ).toEqual({ ok: false, reason: "mismatch" });
    expect(verifyRequestSignature(SECRET, header, { ...request, method: "PUT" }, NOW)).toEqual({
      ok: false,
      reason: "mismatch",
    });
    expect(verifyRequestSignature(SECRET, header, { ...request, body: BODY + " " }, NOW)).toEqual({
      ok: false,
      reason: "mismatch",
    });
  });

  it("is not a body-only signature: neither kind verifies as the other", () => {
    expect(verifySignature(SECRET, signRequest(SECRET, request, NOW), BODY, NOW).ok).toBe(false);
    expect(verifyRequestSignature(SECRET, signBody(SECRET, BODY, NOW), request, NOW).ok).toBe(false);
  });

  it("refuses to sign something that is not a request path", () => {
    for (const path of ["api/agents/x/y", "/a?b=1", "/a#b", "/a\nb", "https://x.example/a"])
      expect(() => signRequest(SECRET, { ...request, path }, NOW)).toThrow(/not a request path/);
  });

  it("binds every (method, path, body): a signature verifies for no other request (property)", () => {
    const method = fc.constantFrom("GET", "POST", "PUT", "DELETE");
    const path = fc
      .array(fc.stringMatching(/^[a-z0-9._-]{1,12}$/), { minLength: 1, maxLength: 4 })
      .map((s) => `/${s.join("/")}`);
    const req = fc.record({ method, path, body: fc.string({ maxLength: 60 }) });
    fc.assert(
      fc.property(req, req, (a, b) => {
        fc.pre(a.method !== b.method || a.path !== b.path || a.body !== b.body);
        expect(verifyRequestSignature(SECRET, signRequest(SECRET, a, NOW), b, NOW)).toEqual({
          ok: false,
          reason: "mismatch",
        });
      }),
      { numRuns: 300 },
    );
  });
});
