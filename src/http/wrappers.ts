/**
 * One wrapper per kind of caller. Every exported route handler is built by one of them
 * (tests/unit/http/routes-are-wrapped.test.ts fails otherwise):
 * - `withPublic`    anyone (health, the client's pages' APIs);
 * - `withApiKey`    `Authorization: Bearer <api key>`, or the dashboard's session cookie, with a minimum
 *                   role; mutating calls are audited;
 * - `withCron`      `Authorization: Bearer <CRON_SECRET>` (Vercel cron, self-continuation);
 * - `withSignedCall` `X-Orchestrator-Signature` over the method, path and raw body (agents, callbacks);
 * - `withWebhook`   a provider's own signature over the raw body (Shopify, Stripe).
 * Each one maps errors through the one error table, logs one line per request, and never lets
 * an exception become anything but the JSON error body.
 */
import type { z } from "zod";
import { getDb, type Db } from "@/db/client";
import { getSecret } from "@/env";
import { authenticateApiKey } from "@/auth/api-keys";
import { recordAudit } from "@/auth/audit";
import { readSessionToken, requireDashboardHeader, resolveSession } from "@/auth/session";
import { hasRole, type Principal, type Role } from "@/auth/roles";
import { safeEqual } from "@/auth/secrets";
import { rememberSignature } from "@/auth/replay";
import { SIGNATURE_HEADER, parseSignatureHeader, verifyRequestSignature } from "@/auth/signature";
import { log } from "@/observability/log";
import { METRICS, recordMetric } from "@/observability/metrics/record";
import { flushMetricsAfterResponse } from "./flush-metrics";
import { assertContentType, assertJsonContentType, parseJsonText, parseQuery, readRawBody } from "./body";
import { CodedError, ForbiddenError, UnauthorizedError } from "@/errors";
import { errorResponse, toCodedError } from "./errors";

export const WRAPPED = Symbol.for("agent-orchestrator.route-wrapper");
export type WrapperKind = "public" | "api-key" | "cron" | "signed" | "webhook";

/** What Next passes as the second argument of a route handler. */
export interface RouteContext {
  params?: Promise<Record<string, string | string[] | undefined>>;
}

export type RouteHandler = ((req: Request, route?: RouteContext) => Promise<Response>) & { [WRAPPED]: WrapperKind };

export interface BaseContext {
  req: Request;
  url: URL;
  params: Record<string, string>;
  /** Parses the query string with a schema (400 on failure). */
  query<S extends z.ZodType>(schema: S): z.output<S>;
  /** Reads and validates the JSON body (415, 413, 400 on failure). */
  json<S extends z.ZodType>(schema: S): Promise<z.output<S>>;
  /** Like `json`, but an empty body (with or without a content type) reads as `{}`. */
  optionalJson<S extends z.ZodType>(schema: S): Promise<z.output<S>>;
  /**
   * Reads the body as text when its media type is one of `types` (415 otherwise, 413 over the
   * limit), e.g. a workflow definition sent as YAML or JSON. Returns the text and the type.
   */
  text(types: readonly string[]): Promise<{ text: string; type: string }>;
}

export interface PublicContext extends BaseContext {
  getDb(): Promise<Db>;
}
export interface ApiKeyContext extends BaseContext {
  db: Db;
  principal: Principal;
  /** What the audit entry of this call names as its target and extra details. */
  audit: { target?: string; details?: Record<string, unknown> };
}
export interface CronContext extends BaseContext {
  db: Db;
}
export interface RawBodyContext extends BaseContext {
  db: Db;
  rawBody: string;
}

async function resolveParams(route?: RouteContext): Promise<Record<string, string>> {
  const raw = (await route?.params) ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join("/") : v;
  return out;
}

function baseContext(req: Request, params: Record<string, string>, rawBody?: string): BaseContext {
  const url = new URL(req.url);
  return {
    req,
    url,
    params,
    query: (schema) => parseQuery(url, schema),
    json: async (schema) => {
      assertJsonContentType(req);
      return parseJsonText(rawBody ?? (await readRawBody(req)), schema);
    },
    optionalJson: async (schema) => {
      const raw = rawBody ?? (await readRawBody(req));
      if (raw.trim() === "") return parseJsonText("{}", schema);
      assertJsonContentType(req);
      return parseJsonText(raw, schema);
    },
    text: async (types) => {
      const type = assertContentType(req, types);
      return { text: rawBody ?? (await readRawBody(req)), type };
    },
  };
}

function bearerToken(req: Request): string | null {
  const header = req.headers.get("authorization");
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

function unauthorized(message: string): UnauthorizedError {
  return new UnauthorizedError(message, { challenge: 'Bearer realm="api"' });
}

/**
 * The route a request matched, with its dynamic segments named (`/api/orchestration/runs/[id]`),
 * so `http.request.duration` has one series per route, not one per run id.
 */
export function routeTemplate(pathname: string, params: Record<string, string>): string {
  let out = pathname;
  // Longest values first, so a catch-all's joined path goes before a segment inside it.
  for (const [key, value] of Object.entries(params).sort((a, b) => b[1].length - a[1].length)) {
    if (!value) continue;
    const encoded = value.split("/").map(encodeURIComponent).join("/");
    out = out.replace(`/${encoded}`, `/[${key}]`);
  }
  return out;
}

/** Records `http.request.duration` (never throws: metrics must not break a response). */
async function recordRequest(req: Request, route: RouteContext | undefined, status: number, ms: number): Promise<void> {
  try {
    const db = await getDb();
    const params = await resolveParams(route);
    recordMetric(db, {
      name: METRICS.httpRequestDuration,
      value: ms,
      error: status >= 500,
      labels: { route: routeTemplate(new URL(req.url).pathname, params), method: req.method, status: String(status) },
    });
    flushMetricsAfterResponse(db);
  } catch {
    // No database (it is down, or not configured): the request's log line still says it all.
  }
}

/** Runs a handler, maps whatever it throws, logs the request and records its duration. */
async function run(
  kind: WrapperKind,
  req: Request,
  fn: () => Promise<Response>,
  route?: RouteContext,
): Promise<Response> {
  const started = performance.now();
  let response: Response;
  try {
    response = await fn();
  } catch (error) {
    const { coded, internal } = toCodedError(error);
    if (internal) log.error("request failed", { method: req.method, path: new URL(req.url).pathname, error });
    response = errorResponse(coded);
  }
  const ms = Math.round((performance.now() - started) * 10) / 10;
  log.info("request", { kind, method: req.method, path: new URL(req.url).pathname, status: response.status, ms });
  await recordRequest(req, route, response.status, ms);
  return response;
}

function brand(kind: WrapperKind, fn: (req: Request, route?: RouteContext) => Promise<Response>): RouteHandler {
  return Object.assign(fn, { [WRAPPED]: kind });
}

export function withPublic(handler: (ctx: PublicContext) => Promise<Response>): RouteHandler {
  return brand("public", (req, route) =>
    run("public", req, async () => handler({ ...baseContext(req, await resolveParams(route)), getDb }), route),
  );
}

export interface ApiKeyOptions {
  role: Role;
  /** The audit log's name for this action (mutating methods only), e.g. `keys.create`. */
  action?: string;
}

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

type Credential = { kind: "bearer"; key: string } | { kind: "session"; token: string };

/**
 * What the caller presented, checked before any database work: an `Authorization` header always
 * wins (a malformed one is a 401, never a fall-back to the cookie); without one, the dashboard's
 * session cookie (src/auth/session.ts).
 */
function presentedCredential(req: Request): Credential {
  if (req.headers.has("authorization")) {
    const key = bearerToken(req);
    if (!key) throw unauthorized("An API key is required (Authorization: Bearer <key>).");
    return { kind: "bearer", key };
  }
  const token = readSessionToken(req);
  if (!token) throw unauthorized("An API key is required (Authorization: Bearer <key>), or a dashboard session.");
  return { kind: "session", token };
}

/**
 * The principal behind a credential. A session must still be valid (its key unrevoked), and a
 * mutating call made with it must carry the dashboard's anti-CSRF header (403 otherwise): a
 * cross-site form cannot add a header, so only the dashboard's own scripts can.
 */
async function authenticateCaller(db: Db, req: Request, credential: Credential): Promise<Principal> {
  if (credential.kind === "bearer") {
    const principal = await authenticateApiKey(db, credential.key);
    if (!principal) throw unauthorized("The API key is unknown or revoked.");
    return principal;
  }
  const principal = await resolveSession(db, credential.token);
  if (!principal) throw unauthorized("The dashboard session has expired or its key was revoked; sign in again.");
  if (MUTATING.has(req.method)) requireDashboardHeader(req);
  return principal;
}

export function withApiKey(options: ApiKeyOptions, handler: (ctx: ApiKeyContext) => Promise<Response>): RouteHandler {
  return brand("api-key", (req, route) =>
    run(
      "api-key",
      req,
      async () => {
        const credential = presentedCredential(req);
        const db = await getDb();
        const principal = await authenticateCaller(db, req, credential);
        const params = await resolveParams(route);
        const ctx: ApiKeyContext = { ...baseContext(req, params), db, principal, audit: { target: params.id } };
        const audited = MUTATING.has(req.method);
        let response: Response;
        try {
          if (!hasRole(principal.role, options.role)) {
            throw new ForbiddenError(`This action needs the ${options.role} role; this key has ${principal.role}.`);
          }
          response = await handler(ctx);
        } catch (error) {
          if (!audited) throw error;
          await audit(db, req, options, ctx, toCodedError(error).coded.status);
          throw error;
        }
        if (audited) await audit(db, req, options, ctx, response.status);
        return response;
      },
      route,
    ),
  );
}

async function audit(db: Db, req: Request, options: ApiKeyOptions, ctx: ApiKeyContext, outcome: number): Promise<void> {
  try {
    await recordAudit(db, {
      actor: ctx.principal.actor,
      keyId: ctx.principal.keyId,
      action: options.action ?? `${req.method} ${ctx.url.pathname}`,
      target: ctx.audit.target ?? null,
      outcome,
      details: ctx.audit.details ?? null,
    });
  } catch (error) {
    log.error("audit log write failed", { action: options.action, error });
  }
}

export function withCron(handler: (ctx: CronContext) => Promise<Response>): RouteHandler {
  return brand("cron", (req, route) =>
    run(
      "cron",
      req,
      async () => {
        const token = bearerToken(req);
        if (!token || !safeEqual(token, getSecret("CRON_SECRET")))
          throw unauthorized("A valid cron secret is required.");
        return handler({ ...baseContext(req, await resolveParams(route)), db: await getDb() });
      },
      route,
    ),
  );
}

/**
 * Internal calls signed with INTER_AGENT_SECRET. Replay protection beyond the five-minute
 * window (a store of seen signatures) comes with the agent transport.
 */
export interface SignedCallOptions {
  /**
   * Refuse a signature seen before (401). On by default. Off only where a replay is harmless by
   * design: idempotent endpoints (task callbacks, whose duplicates are answered as such) and
   * read-only probes, which could otherwise collide (same empty body, same second, same MAC).
   */
  rejectReplays?: boolean;
}

export function withSignedCall(
  handler: (ctx: RawBodyContext) => Promise<Response>,
  options: SignedCallOptions = {},
): RouteHandler {
  return brand("signed", (req, route) =>
    run(
      "signed",
      req,
      async () => {
        const rawBody = await readRawBody(req);
        const db = await verifiedSignedCall(req, rawBody, options.rejectReplays ?? true);
        return handler({ ...baseContext(req, await resolveParams(route), rawBody), db, rawBody });
      },
      route,
    ),
  );
}

/** Checks the signature (window, MAC) and that it was never used before; returns the database. */
async function verifiedSignedCall(req: Request, rawBody: string, rejectReplays: boolean): Promise<Db> {
  const header = req.headers.get(SIGNATURE_HEADER);
  // The method and path are under the signature: a call captured on its way to one action
  // cannot be sent to another one, nor as a GET where a POST was signed.
  const request = { method: req.method, path: new URL(req.url).pathname, body: rawBody };
  const check = verifyRequestSignature(getSecret("INTER_AGENT_SECRET"), header, request);
  if (!check.ok) throw new UnauthorizedError(`The request signature is ${check.reason}.`);
  const db = await getDb();
  if (!rejectReplays) return db;
  // The MAC just verified (the header parses to exactly one v1), never another one of the header.
  const mac = parseSignatureHeader(header ?? "")?.v1 ?? "";
  if (!(await rememberSignature(db, mac)))
    throw new UnauthorizedError("The request signature was already used (replay).");
  return db;
}

export interface SignedOrKeyContext extends RawBodyContext {
  /** Who called: the platform itself (a signed call) or an operator with an API key. */
  caller: { kind: "signed" } | { kind: "api-key"; principal: Principal };
}

/**
 * Agent routes: a signed call from the engine, or a manual call with an API key of at least
 * `options.role` (audited like any API-key call). The signature header decides which check applies.
 */
export function withSignedCallOrApiKey(
  options: ApiKeyOptions & SignedCallOptions,
  handler: (ctx: SignedOrKeyContext) => Promise<Response>,
): RouteHandler {
  const signed = withSignedCall((ctx) => handler({ ...ctx, caller: { kind: "signed" } }), options);
  const keyed = withApiKey(options, async (ctx) => {
    // A body must be JSON; no body at all (no content type) reads as empty, e.g. a GET probe.
    let rawBody = "";
    if (ctx.req.headers.has("content-type")) rawBody = (await ctx.text(["application/json"])).text;
    else if ((await readRawBody(ctx.req)).trim() !== "")
      throw new CodedError("unsupported_media_type", "Send the body as application/json.");
    return handler({ ...ctx, rawBody, caller: { kind: "api-key", principal: ctx.principal } });
  });
  return brand("signed", (req, route) => (req.headers.has(SIGNATURE_HEADER) ? signed(req, route) : keyed(req, route)));
}

/** Verifies a provider signature over the raw body; throws a CodedError (401, or 503 if unconfigured). */
export type WebhookVerifier = (rawBody: string, headers: Headers) => void | Promise<void>;

export function withWebhook(
  verify: WebhookVerifier,
  handler: (ctx: RawBodyContext) => Promise<Response>,
): RouteHandler {
  return brand("webhook", (req, route) =>
    run(
      "webhook",
      req,
      async () => {
        const rawBody = await readRawBody(req);
        await verify(rawBody, req.headers);
        return handler({ ...baseContext(req, await resolveParams(route), rawBody), db: await getDb(), rawBody });
      },
      route,
    ),
  );
}
