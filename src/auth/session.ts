/**
 * The dashboard's session: a login with an API key sets a signed cookie that stands in for the
 * key on every later request (PRODUCT.md §4: "Bearer api key, or the dashboard's session cookie").
 *
 * Decisions:
 * - The cookie holds a JWT (HS256, keyed with SESSION_SECRET, 12 h), not a server-side session
 *   row, so any serverless instance can check it; signing out records the token as revoked
 *   (`revokeSession`, kept until the token's expiry), so a copied token stops working too. Its claims are who
 *   (`sub`, the key's audit actor), which key (`kid`, null for the env admin key) and the role.
 * - A signature alone cannot notice a revoked key, so every request also re-checks the key:
 *   one primary-key lookup of `api_keys` (unrevoked, and its current role wins over the claim).
 *   The env admin key (ADMIN_API_KEY) has no row: its session carries `adm`, an HMAC of the key
 *   under SESSION_SECRET, and stays valid only while ADMIN_API_KEY still has that HMAC. So
 *   rotating ADMIN_API_KEY ends its sessions, and the cookie never holds the key or a plain hash
 *   of it (a JWT's payload is readable by whoever holds the cookie).
 * - httpOnly (scripts cannot read it), SameSite=Lax (not sent on cross-site subrequests or
 *   cross-site POSTs), Path=/, and Secure in production, where the name also takes the
 *   `__Host-` prefix (the browser then refuses it unless Secure, host-only, Path=/).
 * - CSRF: SameSite=Lax already keeps the cookie off cross-site POSTs in current browsers; as a
 *   second, browser-independent line, a mutating call authenticated by the cookie must carry
 *   `X-Requested-With: dashboard` (`requireDashboardHeader`). A cross-site HTML form cannot set a
 *   header, and a cross-origin `fetch` with a custom header needs a CORS preflight that this API
 *   never grants, so only our own page's scripts can send it.
 */
import { createHmac, randomUUID } from "node:crypto";
import { eq, and, isNull } from "drizzle-orm";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import type { Db } from "@/db/client";
import { apiKeys, ROLES } from "@/db/schema";
import { getSecret, isProduction, readEnv } from "@/env";
import { enforceAddressLimit, type AddressLimit } from "@/db/rate-limit";
import type { BucketLimit } from "@/db/token-bucket";
import { authenticateApiKey } from "./api-keys";
import { isMacSpent, spendMac } from "./replay";
import type { Principal } from "./roles";
import { safeEqual } from "./secrets";
import { ForbiddenError, UnauthorizedError } from "@/errors";

export const SESSION_TTL_SECONDS = 12 * 60 * 60;
/** The header (and its value) that marks a mutating call as coming from the dashboard's own scripts. */
export const DASHBOARD_HEADER = "x-requested-with";
export const DASHBOARD_HEADER_VALUE = "dashboard";
/** Login attempts per client address: a burst of 10, then one every 6 seconds (brute force is pointless against 256-bit keys, but each attempt costs a lookup). */
export const LOGIN_RATE_LIMIT: BucketLimit = { capacity: 10, perMs: 1 / 6_000 };
/** ...and from all addresses together: a burst of 100, then 5 a second (operators are few; a distributed flood is bounded). */
export const LOGIN_LIMIT: AddressLimit = {
  name: "session",
  perAddress: LOGIN_RATE_LIMIT,
  allAddresses: { capacity: 100, perMs: 1 / 200 },
};

const ISSUER = "agent-orchestrator";
const AUDIENCE = "core-platform-dashboard";
const ADMIN_ACTOR = "env:ADMIN_API_KEY";

/** `__Host-` needs Secure, which plain-HTTP local mode cannot have, hence two names. */
export function sessionCookieName(source: NodeJS.ProcessEnv = process.env): string {
  return isProduction(source) ? "__Host-orchestrator_session" : "orchestrator_session";
}

export interface SessionCookieOptions {
  httpOnly: true;
  sameSite: "lax";
  path: "/";
  secure: boolean;
  maxAge: number;
}

/** The cookie's attributes, as `cookies().set()` takes them (maxAge 0 clears it). */
export function sessionCookieOptions(
  maxAge = SESSION_TTL_SECONDS,
  source: NodeJS.ProcessEnv = process.env,
): SessionCookieOptions {
  return { httpOnly: true, sameSite: "lax", path: "/", secure: isProduction(source), maxAge };
}

/** A `Set-Cookie` value that sets the session (or, with `null`, clears it). */
export function sessionSetCookie(token: string | null, source: NodeJS.ProcessEnv = process.env): string {
  const o = sessionCookieOptions(token === null ? 0 : SESSION_TTL_SECONDS, source);
  const parts = [
    `${sessionCookieName(source)}=${token ?? ""}`,
    `Path=${o.path}`,
    `Max-Age=${o.maxAge}`,
    "HttpOnly",
    "SameSite=Lax",
  ];
  if (token === null) parts.push("Expires=Thu, 01 Jan 1970 00:00:00 GMT");
  if (o.secure) parts.push("Secure");
  return parts.join("; ");
}

/** The session token in a request's `Cookie` header, if any. */
export function readSessionToken(req: Request, source: NodeJS.ProcessEnv = process.env): string | null {
  const header = req.headers.get("cookie");
  if (!header) return null;
  const name = sessionCookieName(source);
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return value === "" ? null : value;
  }
  return null;
}

/** True when a request carries the dashboard's anti-CSRF header. */
export function hasDashboardHeader(req: Request): boolean {
  return req.headers.get(DASHBOARD_HEADER)?.trim().toLowerCase() === DASHBOARD_HEADER_VALUE;
}

/** 403 for a cookie-authenticated mutating call without the dashboard's header (see the file's comment). */
export function requireDashboardHeader(req: Request): void {
  if (hasDashboardHeader(req)) return;
  throw new ForbiddenError(
    `A change made with the dashboard's session needs the header ${DASHBOARD_HEADER}: ${DASHBOARD_HEADER_VALUE} (protection against cross-site requests).`,
  );
}

function signingKey(source: NodeJS.ProcessEnv): Uint8Array {
  return new TextEncoder().encode(getSecret("SESSION_SECRET", source));
}

/** A 128-bit HMAC of the env admin key under SESSION_SECRET: proves which key, reveals nothing of it. */
export function adminKeyMarker(adminKey: string, source: NodeJS.ProcessEnv = process.env): string {
  return createHmac("sha256", getSecret("SESSION_SECRET", source))
    .update(`admin-api-key:${adminKey}`)
    .digest("base64url")
    .slice(0, 22);
}

const claimsSchema = z.object({
  sub: z.string().min(1),
  kid: z.guid().nullable(),
  role: z.enum(ROLES),
  adm: z.string().optional(),
});
export type SessionClaims = z.infer<typeof claimsSchema>;

export interface SignSessionOptions {
  /** The presented key: needed for the env admin key's marker. */
  apiKey: string;
  /** Unix seconds; now by default (tests). */
  now?: number;
  source?: NodeJS.ProcessEnv;
}

/** Signs a session for a principal that `authenticateApiKey` just returned. */
export async function signSession(
  principal: Principal,
  options: SignSessionOptions,
): Promise<{ token: string; expiresAt: Date }> {
  const source = options.source ?? process.env;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const claims: Omit<SessionClaims, "sub"> = { kid: principal.keyId, role: principal.role };
  if (principal.keyId === null) claims.adm = adminKeyMarker(options.apiKey, source);
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(principal.actor)
    // Unique per sign-in, so two sessions of one key in the same second are two tokens, and
    // signing one out (revokeSession) leaves the other alone.
    .setJti(randomUUID())
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + SESSION_TTL_SECONDS)
    .sign(signingKey(source));
  return { token, expiresAt: new Date((now + SESSION_TTL_SECONDS) * 1000) };
}

/**
 * The claims of a token this platform signed and that has not expired; null for anything else
 * (bad signature, another algorithm, expired, malformed). No database: see `resolveSession`.
 */
export async function verifySessionToken(
  token: string,
  options: { now?: number; source?: NodeJS.ProcessEnv } = {},
): Promise<(SessionClaims & { exp: number }) | null> {
  if (token.length > 4096) return null;
  try {
    const { payload } = await jwtVerify(token, signingKey(options.source ?? process.env), {
      algorithms: ["HS256"],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: options.now === undefined ? undefined : new Date(options.now * 1000),
    });
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success || typeof payload.exp !== "number") return null;
    return { ...claims.data, exp: payload.exp };
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) return null;
    throw error;
  }
}

/**
 * The principal a session token stands for right now, or null: the token must verify, and its
 * key must still be valid (unrevoked row, or ADMIN_API_KEY unchanged), and the session not signed
 * out (revokeSession). Two indexed lookups.
 */
export async function resolveSession(
  db: Db,
  token: string,
  source: NodeJS.ProcessEnv = process.env,
): Promise<Principal | null> {
  const claims = await verifySessionToken(token, { source });
  if (!claims) return null;
  if (await isMacSpent(db, revocationId(token))) return null;
  if (claims.kid === null) {
    const adminKey = readEnv(source).ADMIN_API_KEY;
    if (!adminKey || !claims.adm || !safeEqual(claims.adm, adminKeyMarker(adminKey, source))) return null;
    return { actor: ADMIN_ACTOR, keyId: null, role: "admin" };
  }
  const [row] = await db
    .select({ role: apiKeys.role })
    .from(apiKeys)
    .where(and(eq(apiKeys.id, claims.kid), isNull(apiKeys.revokedAt)))
    .limit(1);
  if (!row) return null;
  return { actor: `key:${claims.kid}`, keyId: claims.kid, role: row.role };
}

/** What revocation records of a token: its HS256 signature (unique per token), in the replay store's namespace for sessions. */
function revocationId(token: string): string {
  return `session:${token.slice(token.lastIndexOf(".") + 1)}`;
}

/**
 * Signs a session out for good: a copy of the token (another browser, a stolen cookie) stops
 * working at once, not at its expiry. Only a token this platform signed and that is still valid
 * is recorded (until its expiry, after which it is refused anyway), so junk cannot fill the
 * store. Answers whether a live session was revoked.
 */
export async function revokeSession(db: Db, token: string, source: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const claims = await verifySessionToken(token, { source });
  if (!claims) return false;
  await spendMac(db, revocationId(token), new Date(claims.exp * 1000));
  return true;
}

export interface StartedSession {
  principal: Principal;
  token: string;
  expiresAt: Date;
}

/**
 * A login: rate-limited per client address (429), then the key is checked like a bearer key
 * (401 when unknown or revoked). Shared by `POST /api/session` and the page's server action.
 */
export async function startSession(db: Db, apiKey: string, clientAddress: string): Promise<StartedSession> {
  await enforceAddressLimit(db, LOGIN_LIMIT, clientAddress);
  const principal = await authenticateApiKey(db, apiKey);
  if (!principal) throw new UnauthorizedError("The API key is unknown or revoked.");
  const { token, expiresAt } = await signSession(principal, { apiKey });
  return { principal, token, expiresAt };
}

/** What the API and the page say about a session: never the token or the key. */
export function sessionView(principal: Principal): { role: Principal["role"]; actor: string } {
  return { role: principal.role, actor: principal.actor };
}
