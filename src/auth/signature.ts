/**
 * Signed internal calls (PRODUCT.md §4): header
 * `X-Orchestrator-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` keyed
 * with INTER_AGENT_SECRET, accepted within five minutes of the receiver's clock.
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
  if (!header) return { ok: false, reason: "missing" };
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: "malformed" };
  if (Math.abs(nowSeconds - parsed.t) > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: "expired" };
  const expected = createHmac("sha256", secret).update(`${parsed.t}.${rawBody}`).digest("hex");
  return safeEqual(expected, parsed.v1) ? { ok: true } : { ok: false, reason: "mismatch" };
}
