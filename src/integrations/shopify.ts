/**
 * Shopify webhook deliveries: the signature and the headers (../shared/notes/integrations.md §1).
 *
 * - `X-Shopify-Hmac-Sha256` is the BASE64 HMAC-SHA256 of the raw body keyed with the app's client
 *   secret. It is checked before anything is parsed or stored, in constant time (both sides are
 *   digests of equal length).
 * - Secret rotation: for up to an hour after a rotation Shopify still signs with the oldest
 *   unrevoked secret, so `SHOPIFY_WEBHOOK_SECRET` may hold several secrets separated by commas
 *   (new first, then old); a delivery signed by any of them is accepted. Shopify secrets
 *   (`shpss_…`) never contain a comma.
 * - The raw body reaches us decoded as UTF-8 (src/http/body.ts); re-encoding valid UTF-8 gives the
 *   bytes Shopify signed. A body that is not valid UTF-8 would not re-encode to its bytes and so
 *   fails the check: Shopify only sends JSON, which is UTF-8.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { readEnv } from "@/env";
import { ApiError } from "@/http/errors";

export const SHOPIFY_HMAC_HEADER = "x-shopify-hmac-sha256";

/** The configured secrets, newest first; none when unset. */
export function shopifySecrets(): string[] {
  const raw = readEnv().SHOPIFY_WEBHOOK_SECRET;
  return raw ? raw.split(",").map((s) => s.trim()).filter((s) => s.length > 0) : [];
}

/** True when `header` is the base64 HMAC-SHA256 of `rawBody` under one of `secrets`. */
export function isValidShopifyHmac(rawBody: string, header: string | null, secrets: string[]): boolean {
  if (!header || !/^[A-Za-z0-9+/]{43}=$/.test(header.trim())) return false;
  const presented = Buffer.from(header.trim(), "base64");
  let ok = false;
  // Every secret is tried (no early exit), so the time does not tell which one matched.
  for (const secret of secrets) {
    const expected = createHmac("sha256", secret).update(rawBody, "utf8").digest();
    if (expected.length === presented.length && timingSafeEqual(expected, presented)) ok = true;
  }
  return ok;
}

/**
 * The route's verifier: 503 when no secret is configured (nothing can be verified), 401 for a
 * missing or wrong signature (Shopify's compliance topics require 401).
 */
export function verifyShopifyWebhook(rawBody: string, headers: Headers): void {
  const secrets = shopifySecrets();
  if (secrets.length === 0) throw new ApiError("not_configured", "SHOPIFY_WEBHOOK_SECRET is not set.");
  if (!isValidShopifyHmac(rawBody, headers.get(SHOPIFY_HMAC_HEADER), secrets)) {
    throw new ApiError("unauthorized", "The X-Shopify-Hmac-Sha256 signature is missing or does not match the body.");
  }
}

const shopDomain = z
  .string()
  .trim()
  .toLowerCase()
  .max(255)
  .regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, "must be a <shop>.myshopify.com domain");

const deliveryHeaders = z.object({
  topic: z.string().trim().min(1).max(100).regex(/^[a-z_]+\/[a-z_]+$/, "must look like orders/create"),
  shopDomain,
  webhookId: z.string().trim().min(1).max(200),
  eventId: z.string().trim().min(1).max(200).nullable(),
  triggeredAt: z.iso.datetime({ offset: true }).nullable(),
  apiVersion: z.string().trim().max(20).nullable(),
});

export type ShopifyDelivery = z.infer<typeof deliveryHeaders>;

/** Reads the delivery's headers (after the signature was verified); 400 naming the header at fault. */
export function readShopifyHeaders(headers: Headers): ShopifyDelivery {
  const parsed = deliveryHeaders.safeParse({
    topic: headers.get("x-shopify-topic") ?? undefined,
    shopDomain: headers.get("x-shopify-shop-domain") ?? undefined,
    webhookId: headers.get("x-shopify-webhook-id") ?? undefined,
    eventId: headers.get("x-shopify-event-id"),
    triggeredAt: headers.get("x-shopify-triggered-at"),
    apiVersion: headers.get("x-shopify-api-version"),
  });
  if (!parsed.success) {
    const names: Record<string, string> = {
      topic: "X-Shopify-Topic",
      shopDomain: "X-Shopify-Shop-Domain",
      webhookId: "X-Shopify-Webhook-Id",
      eventId: "X-Shopify-Event-Id",
      triggeredAt: "X-Shopify-Triggered-At",
      apiVersion: "X-Shopify-API-Version",
    };
    const details = parsed.error.issues.map((i) => ({ header: names[String(i.path[0])] ?? String(i.path[0]), message: i.message }));
    throw new ApiError("bad_request", "A Shopify delivery header is missing or malformed.", details);
  }
  return parsed.data;
}
