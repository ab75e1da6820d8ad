import type Stripe from "stripe";
import { z } from "zod";
import { assertJsonContentType, parseJsonText } from "@/http/body";
import { withWebhook } from "@/http/wrappers";
import { verifyStripeSignature } from "@/integrations/stripe";
import { fulfilCheckout } from "@/projects/service";

/** What this route reads of an event; the rest is Stripe's (verified by the signature). */
const eventSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  data: z.looseObject({ object: z.looseObject({}) }),
});

// POST /api/webhooks/stripe — verified Checkout events start the paid project's run (once per
// session); 400 for a bad signature. Everything verified is acknowledged with 200, including
// events that start nothing (a duplicate, an unpaid or wrong-amount session: retrying cannot help).
export const POST = withWebhook(
  (rawBody, headers) => verifyStripeSignature(rawBody, headers.get("stripe-signature")),
  async ({ db, rawBody, req }) => {
    assertJsonContentType(req);
    const event = parseJsonText(rawBody, eventSchema) as unknown as Stripe.Event;
    const outcome = await fulfilCheckout(db, event);
    return Response.json({ received: true, ...outcome });
  },
);
