import { z } from "zod";
import { kickTick } from "@/engine/kick";
import { afterResponse } from "@/http/after-response";
import { assertJsonContentType, parseJsonText } from "@/http/body";
import { withWebhook } from "@/http/wrappers";
import { readShopifyHeaders, verifyShopifyWebhook } from "@/integrations/shopify";
import { processDelivery, storeDelivery } from "@/orders/deliveries";

// POST /api/webhooks/shopify — verified (X-Shopify-Hmac-Sha256, 401 otherwise, nothing stored),
// stored durably, answered 200 at once (Shopify allows 5 s), processed after the answer; a
// repeated X-Shopify-Webhook-Id answers 200 `duplicate: true` and processes nothing.
export const POST = withWebhook(verifyShopifyWebhook, async ({ db, rawBody, req }) => {
  assertJsonContentType(req);
  parseJsonText(rawBody, z.unknown()); // a signed body that is not JSON is refused (400), not stored
  const delivery = readShopifyHeaders(req.headers);
  const stored = await storeDelivery(db, delivery, rawBody);
  if (!stored.duplicate) {
    afterResponse(async () => {
      await processDelivery(db, stored.id);
      await kickTick(db);
    });
  }
  return Response.json({ received: true, duplicate: stored.duplicate });
});
