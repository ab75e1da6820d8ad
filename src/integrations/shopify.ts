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
 *
 * The HMAC covers the body only, and the secret is the app's, shared by every shop that installs
 * it. So nothing read from the headers (shop, topic, webhook id) is trusted on its own (issue 15):
 * - the shop must be one of SHOPIFY_SHOP_DOMAINS (assertShopAllowed; 403 and nothing stored);
 * - a privacy topic's body must name the same shop and have its topic's shape
 *   (assertBodyFitsDelivery), so a signed body cannot be replayed as another shop's erasure or as
 *   a wider one (a customers/redact replayed as shop/redact);
 * - deliveries are deduplicated on a digest of the topic and the body as well as on the webhook
 *   id (deliveryDigest), so a signed body replayed under a fresh webhook id or another shop is a
 *   duplicate. The digest is kept as long as the delivery's record (DEDUPE_RETENTION_DAYS).
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { isProduction, readEnv } from "@/env";
import { log } from "@/observability/log";
import { BadRequestError, ForbiddenError, NotConfiguredError, UnauthorizedError } from "@/errors";

export const SHOPIFY_HMAC_HEADER = "x-shopify-hmac-sha256";

/** The configured secrets, newest first; none when unset. */
export function shopifySecrets(): string[] {
  const raw = readEnv().SHOPIFY_WEBHOOK_SECRET;
  return raw
    ? raw
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
    : [];
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
  if (secrets.length === 0) throw new NotConfiguredError("SHOPIFY_WEBHOOK_SECRET is not set.");
  if (!isValidShopifyHmac(rawBody, headers.get(SHOPIFY_HMAC_HEADER), secrets)) {
    throw new UnauthorizedError("The X-Shopify-Hmac-Sha256 signature is missing or does not match the body.");
  }
}

const shopDomain = z
  .string()
  .trim()
  .toLowerCase()
  .max(255)
  .regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, "must be a <shop>.myshopify.com domain");

const deliveryHeaders = z.object({
  topic: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[a-z_]+\/[a-z_]+$/, "must look like orders/create"),
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
    const details = parsed.error.issues.map((i) => ({
      header: names[String(i.path[0])] ?? String(i.path[0]),
      message: i.message,
    }));
    throw new BadRequestError("A Shopify delivery header is missing or malformed.", details);
  }
  return parsed.data;
}

let warnedAnyShop = false;

/**
 * Refuses a delivery from a shop not listed in SHOPIFY_SHOP_DOMAINS: 403, before anything is stored.
 *
 * Decision when SHOPIFY_SHOP_DOMAINS is unset: in production the platform refuses to start when
 * SHOPIFY_WEBHOOK_SECRET is set without it (assertProductionConfig, src/env.ts), and should a
 * process answer anyway, every shop is refused here (403, no shop is configured). Locally
 * (`npm start`, tests) every shop is accepted, with one warning in the log per process, so the
 * platform keeps working with no configuration at all.
 */
export function assertShopAllowed(shopDomain: string, source: NodeJS.ProcessEnv = process.env): void {
  const allowed = readEnv(source).SHOPIFY_SHOP_DOMAINS;
  if (!allowed) {
    if (isProduction(source)) {
      throw new ForbiddenError(
        "No Shopify shop is configured (SHOPIFY_SHOP_DOMAINS is not set): the delivery is refused.",
        [{ header: "X-Shopify-Shop-Domain", message: "no shop is configured" }],
      );
    }
    if (!warnedAnyShop) {
      warnedAnyShop = true;
      log.warn(
        "SHOPIFY_SHOP_DOMAINS is not set: Shopify deliveries of every shop are accepted (local mode only; production requires it)",
      );
    }
    return;
  }
  if (!allowed.includes(shopDomain)) {
    throw new ForbiddenError("This shop is not configured (SHOPIFY_SHOP_DOMAINS): its delivery is refused.", [
      { header: "X-Shopify-Shop-Domain", message: `${shopDomain} is not a configured shop` },
    ]);
  }
}

/** The topics whose handlers erase or export a customer's data, or a whole shop's. */
export const PRIVACY_TOPICS = ["customers/data_request", "customers/redact", "shop/redact"] as const;

const shopId = z.union([z.number().int().positive(), z.string().regex(/^[1-9]\d{0,29}$/)]);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The fields each privacy topic's body must carry, and those of the other privacy topics it must
 * not: the shapes tell a data request, a customer's erasure and a shop's erasure apart, so one
 * signed body cannot be replayed under another of these topics.
 */
const PRIVACY_SHAPES: Record<
  (typeof PRIVACY_TOPICS)[number],
  { required: Record<string, (v: unknown) => boolean>; forbidden: string[] }
> = {
  "customers/data_request": {
    required: { customer: isObject, orders_requested: Array.isArray, data_request: isObject },
    forbidden: ["orders_to_redact"],
  },
  "customers/redact": {
    required: { customer: isObject, orders_to_redact: Array.isArray },
    forbidden: ["orders_requested", "data_request"],
  },
  "shop/redact": { required: {}, forbidden: ["customer", "orders_to_redact", "orders_requested", "data_request"] },
};

/**
 * A privacy topic's body must name the delivery's shop (`shop_domain`, with a `shop_id`) and have
 * its topic's shape; otherwise 400 naming the fields, and nothing is stored. Other topics' bodies
 * are checked by their handlers (an order body carries no shop to compare with).
 *
 * `shop_id` is required but not compared: nothing trusted tells us a shop's id. The domain is the
 * shop's key in every table, and it is checked against the configured shops and the header.
 */
export function assertBodyFitsDelivery(delivery: Pick<ShopifyDelivery, "topic" | "shopDomain">, body: unknown): void {
  const shape = PRIVACY_SHAPES[delivery.topic as (typeof PRIVACY_TOPICS)[number]];
  if (!shape) return;
  const problems: { field: string; message: string }[] = [];
  if (!isObject(body)) {
    problems.push({ field: "(body)", message: "must be a JSON object" });
  } else {
    const domain = typeof body.shop_domain === "string" ? body.shop_domain.trim().toLowerCase() : null;
    if (domain === null) problems.push({ field: "shop_domain", message: "is required" });
    else if (domain !== delivery.shopDomain)
      problems.push({ field: "shop_domain", message: "does not match the X-Shopify-Shop-Domain header" });
    if (!shopId.safeParse(body.shop_id).success)
      problems.push({ field: "shop_id", message: "is required (a positive integer)" });
    for (const [field, check] of Object.entries(shape.required))
      if (!check(body[field])) problems.push({ field, message: `is required for ${delivery.topic}` });
    for (const field of shape.forbidden)
      if (field in body) problems.push({ field, message: `belongs to another topic than ${delivery.topic}` });
  }
  if (problems.length > 0) {
    throw new BadRequestError(
      `The body does not fit a ${delivery.topic} delivery of this shop: it is refused and nothing is stored.`,
      problems,
    );
  }
}

/** The delivery's content digest (hex SHA-256 of the topic and the raw body): its dedupe key beside the webhook id. */
export function deliveryDigest(topic: string, rawBody: string): string {
  return createHash("sha256").update(topic, "utf8").update("\n", "utf8").update(rawBody, "utf8").digest("hex");
}
