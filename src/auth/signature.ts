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

export function verifySignature(
  secret: string,
  header: string | null,
  rawBody: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): SignatureCheck {
  if (!header) return { ok: false, reason: "missing" };
  const parts = new Map(
    header.split(",").map((p) => {
      const i = p.indexOf("=");
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
    }),
  );
  const tText = parts.get("t") ?? "";
  const t = Number(tText);
  const v1 = parts.get("v1");
  if (!/^\d{1,12}$/.test(tText) || !v1 || !/^[0-9a-f]{64}$/i.test(v1)) return { ok: false, reason: "malformed" };
  if (Math.abs(nowSeconds - t) > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: "expired" };
  const expected = createHmac("sha256", secret).update(`${t}.${rawBody}`).digest("hex");
  return safeEqual(expected, v1.toLowerCase()) ? { ok: true } : { ok: false, reason: "mismatch" };
}
