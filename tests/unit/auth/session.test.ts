import { SignJWT, decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import {
  DASHBOARD_HEADER,
  SESSION_TTL_SECONDS,
  adminKeyMarker,
  hasDashboardHeader,
  readSessionToken,
  requireDashboardHeader,
  sessionCookieName,
  sessionSetCookie,
  signSession,
  verifySessionToken,
} from "@/auth/session";
import type { Principal } from "@/auth/roles";
import { CodedError } from "@/errors";

const SECRET = "session-secret-for-unit-tests-0123456789abcdef";
/** An environment of its own for each call, so the tests never depend on the process's. */
const env = (vars: Record<string, string>) => ({ NODE_ENV: "test", ...vars }) as NodeJS.ProcessEnv;
const LOCAL = env({ SESSION_SECRET: SECRET });
const PRODUCTION = env({ SESSION_SECRET: SECRET, APP_ENV: "production" });
const NOW = 1_780_000_000;
const OPERATOR: Principal = {
  actor: "key:3f0c4f4e-8d7c-4a53-9b0e-6a1f2b3c4d5e",
  keyId: "3f0c4f4e-8d7c-4a53-9b0e-6a1f2b3c4d5e",
  role: "operator",
};
const ENV_ADMIN: Principal = { actor: "env:ADMIN_API_KEY", keyId: null, role: "admin" };
const ADMIN_KEY = "env-admin-key-that-must-never-leave-the-server";

describe("session tokens", () => {
  it("round-trips who, which key and the role, and expires 12 hours after sign-in", async () => {
    const { token, expiresAt } = await signSession(OPERATOR, { apiKey: "aok_x", now: NOW, source: LOCAL });
    const claims = await verifySessionToken(token, { now: NOW + 60, source: LOCAL });
    expect(claims).toMatchObject({
      sub: OPERATOR.actor,
      kid: OPERATOR.keyId,
      role: "operator",
      exp: NOW + SESSION_TTL_SECONDS,
    });
    expect(expiresAt.getTime()).toBe((NOW + 12 * 3600) * 1000);
    expect(await verifySessionToken(token, { now: NOW + 12 * 3600 + 1, source: LOCAL })).toBeNull();
  });

  it("never puts the presented key in the token; the env admin key is only an HMAC marker", async () => {
    const { token } = await signSession(ENV_ADMIN, { apiKey: ADMIN_KEY, now: NOW, source: LOCAL });
    expect(token).not.toContain(ADMIN_KEY);
    const payload = decodeJwt(token);
    expect(JSON.stringify(payload)).not.toContain(ADMIN_KEY);
    expect(payload.adm).toBe(adminKeyMarker(ADMIN_KEY, LOCAL));
    expect(payload.adm).not.toBe(adminKeyMarker("another-admin-key", LOCAL));
    // The marker depends on SESSION_SECRET: the same key under another secret gives another marker.
    expect(adminKeyMarker(ADMIN_KEY, env({ SESSION_SECRET: "other" }))).not.toBe(payload.adm);
  });

  it("rejects a token signed with another secret, a tampered one, an unsigned one and junk", async () => {
    const { token } = await signSession(OPERATOR, { apiKey: "aok_x", now: NOW, source: LOCAL });
    expect(await verifySessionToken(token, { now: NOW, source: env({ SESSION_SECRET: "another-secret" }) })).toBeNull();

    const [header, payload, signature] = token.split(".") as [string, string, string];
    const elevated = Buffer.from(JSON.stringify({ ...decodeJwt(token), role: "admin" })).toString("base64url");
    expect(await verifySessionToken(`${header}.${elevated}.${signature}`, { now: NOW, source: LOCAL })).toBeNull();

    const none = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    expect(await verifySessionToken(`${none}.${payload}.`, { now: NOW, source: LOCAL })).toBeNull();
    for (const junk of ["", "a.b.c", "not a token", "x".repeat(5000)])
      expect(await verifySessionToken(junk, { now: NOW, source: LOCAL })).toBeNull();
  });

  it("rejects a correctly signed token whose claims are not a session's (wrong role, missing key id)", async () => {
    const key = new TextEncoder().encode(SECRET);
    const forge = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("key:x")
        .setIssuer("agent-orchestrator")
        .setAudience("core-platform-dashboard")
        .setIssuedAt(NOW)
        .setExpirationTime(NOW + 60)
        .sign(key);
    expect(
      await verifySessionToken(await forge({ kid: OPERATOR.keyId, role: "root" }), { now: NOW, source: LOCAL }),
    ).toBeNull();
    expect(await verifySessionToken(await forge({ role: "viewer" }), { now: NOW, source: LOCAL })).toBeNull();
    const otherAudience = await new SignJWT({ kid: OPERATOR.keyId, role: "viewer" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("key:x")
      .setIssuer("agent-orchestrator")
      .setAudience("elsewhere")
      .setExpirationTime(NOW + 60)
      .sign(key);
    expect(await verifySessionToken(otherAudience, { now: NOW, source: LOCAL })).toBeNull();
  });
});

describe("the session cookie", () => {
  it("is httpOnly, SameSite=Lax, Path=/, 12 h, and not Secure in local mode", () => {
    const cookie = sessionSetCookie("tok", LOCAL);
    expect(cookie).toBe("orchestrator_session=tok; Path=/; Max-Age=43200; HttpOnly; SameSite=Lax");
  });

  it("is Secure and __Host- prefixed in production", () => {
    expect(sessionCookieName(PRODUCTION)).toBe("__Host-orchestrator_session");
    expect(sessionSetCookie("tok", PRODUCTION)).toBe(
      "__Host-orchestrator_session=tok; Path=/; Max-Age=43200; HttpOnly; SameSite=Lax; Secure",
    );
  });

  it("is cleared with an empty value, Max-Age=0 and an expiry in the past", () => {
    expect(sessionSetCookie(null, LOCAL)).toBe(
      "orchestrator_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    );
  });

  it("is read from the Cookie header by its exact name only", () => {
    const req = (cookie?: string) => new Request("http://x/", { headers: cookie ? { cookie } : {} });
    expect(readSessionToken(req("a=1; orchestrator_session=abc.def.ghi; b=2"), LOCAL)).toBe("abc.def.ghi");
    expect(readSessionToken(req("xorchestrator_session=abc"), LOCAL)).toBeNull();
    expect(readSessionToken(req("orchestrator_session="), LOCAL)).toBeNull();
    expect(readSessionToken(req(), LOCAL)).toBeNull();
    expect(readSessionToken(req("orchestrator_session=abc"), PRODUCTION)).toBeNull();
  });
});

describe("the anti-CSRF header", () => {
  it("accepts X-Requested-With: dashboard and refuses its absence or another value with a 403", () => {
    const req = (value?: string) =>
      new Request("http://x/", { method: "POST", headers: value === undefined ? {} : { [DASHBOARD_HEADER]: value } });
    expect(hasDashboardHeader(req("dashboard"))).toBe(true);
    expect(hasDashboardHeader(req("Dashboard"))).toBe(true);
    expect(hasDashboardHeader(req("XMLHttpRequest"))).toBe(false);
    expect(() => requireDashboardHeader(req())).toThrow(CodedError);
    try {
      requireDashboardHeader(req());
    } catch (error) {
      expect((error as CodedError).status).toBe(403);
    }
  });
});
