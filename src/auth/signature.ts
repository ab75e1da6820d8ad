/**
 * Signatures in the header `X-Orchestrator-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`,
 * accepted within five minutes of the receiver's clock. Two kinds, both signed and checked here:
 * - internal calls (engine → agent, agent probes, task callbacks), keyed with INTER_AGENT_SECRET:
 *   the MAC covers `"<t>\n<METHOD>\n<path>\n<raw body>"` (`signRequest` / `verifyRequestSignature`),
 *   so a captured call cannot be sent to another action or with another method: the signature
 *   names where it may go. The path is the app's own (`/api/agents/<agent>/<action>`, what the
 *   receiving route sees as its URL's pathname), never the base URL's prefix. Decision: the
 *   fields are newline-separated because none can hold a newline (a method is a token, a URL's
 *   pathname percent-encodes it), so no two requests sign the same string;
 * - outgoing webhooks to subscribers, keyed with the subscription's secret: the MAC covers
 *   `"<t>.<raw body>"` (`signBody` / `verifySignature`), the format subscribers verify.
 */
import { createHmac } from "node:crypto";
import { safeEqual } from "./secrets";

export const SIGNATURE_HEADER = "x-orchestrator-signature";
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export function signBody(secret: string, rawBody: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest("hex");
  return `t=${timestamp},v1=${mac}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: "missing" | "malformed" | "expired" | "mismatch" };

/**
 * The header's `t` and `v1`, or null when it is malformed. A key given twice is malformed: with
 * `t=T,v1=<junk>,v1=<mac>` the MAC verified and the one the replay guard records could differ,
 * and a captured call could be replayed under a fresh junk prefix.
 */
export function parseSignatureHeader(header: string): { t: number; v1: string } | null {
  const parts = new Map<string, string>();
  for (const part of header.split(",")) {
    const i = part.indexOf("=");
    const key = (i < 0 ? part : part.slice(0, i)).trim();
    if (parts.has(key)) return null;
    parts.set(key, i < 0 ? "" : part.slice(i + 1).trim());
  }
  const tText = parts.get("t") ?? "";
  const v1 = parts.get("v1");
  if (!/^\d{1,12}$/.test(tText) || !v1 || !/^[0-9a-f]{64}$/i.test(v1)) return null;
  return { t: Number(tText), v1: v1.toLowerCase() };
}

export function verifySignature(
  secret: string,
  header: string | null,
  rawBody: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): SignatureCheck {
  return verifyMac(secret, header, (t) => `${t}.${rawBody}`, nowSeconds);
}

function verifyMac(
  secret: string,
  header: string | null,
  signed: (t: number) => string,
  nowSeconds: number,
): SignatureCheck {
  if (!header) return { ok: false, reason: "missing" };
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: "malformed" };
  if (Math.abs(nowSeconds - parsed.t) > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: "expired" };
  const expected = createHmac("sha256", secret).update(signed(parsed.t)).digest("hex");
  return safeEqual(expected, parsed.v1) ? { ok: true } : { ok: false, reason: "mismatch" };
}

/** What an internal call's signature binds: where it goes and what it carries. */
export interface SignedRequest {
  method: string;
  /** The app's path (`/api/agents/core/notify_client`), without query string or base URL prefix. */
  path: string;
  body: string;
}

function requestPayload(t: number, request: SignedRequest): string {
  return `${t}\n${request.method.toUpperCase()}\n${request.path}\n${request.body}`;
}

function assertSignablePath(path: string): void {
  // A path the receiver could not see as its pathname would only ever fail to verify: say so here.
  if (!path.startsWith("/") || /[\s?#]/.test(path)) throw new Error(`not a request path: ${JSON.stringify(path)}`);
}

/** The header value of an internal call (INTER_AGENT_SECRET): see the file's comment. */
export function signRequest(secret: string, request: SignedRequest, timestamp = Math.floor(Date.now() / 1000)): string {
  assertSignablePath(request.path);
  const mac = createHmac("sha256", secret).update(requestPayload(timestamp, request)).digest("hex");
  return `t=${timestamp},v1=${mac}`;
}

/** Checks an internal call's signature against the method, path and body it arrived with. */
export function verifyRequestSignature(
  secret: string,
  header: string | null,
  request: SignedRequest,
  nowSeconds = Math.floor(Date.now() / 1000),
): SignatureCheck {
  return verifyMac(secret, header, (t) => requestPayload(t, request), nowSeconds);
}
