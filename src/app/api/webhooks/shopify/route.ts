import { z } from "zod";
import { kickTick } from "@/engine/kick";
import { afterResponse } from "@/http/after-response";
import { assertJsonContentType, parseJsonText } from "@/http/body";
import { withWebhook } from "@/http/wrappers";
import {
  assertBodyFitsDelivery,
  assertShopAllowed,
  readShopifyHeaders,
  verifyShopifyWebhook,
} from "@/integrations/shopify";
import { processDelivery, storeDelivery } from "@/orders/deliveries";

// POST /api/webhooks/shopify — verified (X-Shopify-Hmac-Sha256, 401 otherwise, nothing stored),
// from a configured shop only (SHOPIFY_SHOP_DOMAINS, 403 otherwise, nothing stored), a privacy
// topic's body naming that shop (400 otherwise), stored durably, answered 200 at once (Shopify
// allows 5 s), processed after the answer; a repeated X-Shopify-Webhook-Id, or the same topic and
// body again, answers 200 `duplicate: true` and processes nothing.
export const POST = withWebhook(verifyShopifyWebhook, async ({ db, rawBody, req }) => {
  assertJsonContentType(req);
  const body = parseJsonText(rawBody, z.unknown()); // a signed body that is not JSON is refused (400), not stored
  const delivery = readShopifyHeaders(req.headers);
  assertShopAllowed(delivery.shopDomain);
  assertBodyFitsDelivery(delivery, body);
  const stored = await storeDelivery(db, delivery, rawBody);
  if (!stored.duplicate) {
    afterResponse(async () => {
      await processDelivery(db, stored.id);
      await kickTick(db);
    });
  }
  return Response.json({ received: true, duplicate: stored.duplicate });
});
