/**
 * Stripe Checkout for the 399 EUR site: one session per project (the project id as
 * client_reference_id and metadata), and the webhook's signature check over the raw body
 * (`Stripe-Signature`, STRIPE_WEBHOOK_SECRET, 300 s tolerance) through the official SDK.
 */
import Stripe from "stripe";
import { ordersTestMode, readEnv } from "@/env";
import { BadRequestError, NotConfiguredError } from "@/errors";

export const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * True when an order goes through Stripe Checkout; false in test mode (no payment, the run starts
 * at once). Test mode is ORDERS_TEST_MODE=1, or no Stripe key outside production (ordersTestMode
 * in src/env.ts): a production server without a key answers true here, so its orders fail with
 * "Stripe is not configured" instead of being free.
 */
export function stripeConfigured(): boolean {
  return !ordersTestMode();
}

function client(): Stripe {
  const env = readEnv();
  if (!env.STRIPE_SECRET_KEY) throw new NotConfiguredError("Stripe is not configured.");
  const api = env.STRIPE_API_URL ? new URL(env.STRIPE_API_URL) : undefined;
  return new Stripe(env.STRIPE_SECRET_KEY, {
    maxNetworkRetries: 2,
    timeout: 15_000,
    ...(api
      ? {
          host: api.hostname,
          port: Number(api.port || (api.protocol === "http:" ? 80 : 443)),
          protocol: api.protocol === "http:" ? "http" : "https",
        }
      : {}),
  });
}

export async function createCheckoutSession(params: {
  projectId: string;
  email: string;
  businessName: string;
  /** The price, in the currency's smallest unit (the projects' 399 EUR). */
  amountCents: number;
  currency: string;
  successUrl: string;
  cancelUrl: string;
}): Promise<{ id: string; url: string }> {
  const session = await client().checkout.sessions.create(
    {
      mode: "payment",
      client_reference_id: params.projectId,
      metadata: { project_id: params.projectId },
      customer_email: params.email,
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: params.currency,
            unit_amount: params.amountCents,
            product_data: { name: `Website for ${params.businessName}`.slice(0, 250) },
          },
        },
      ],
      success_url: params.successUrl,
      cancel_url: params.cancelUrl,
    },
    { idempotencyKey: `checkout:${params.projectId}` },
  );
  if (!session.url) throw new Error("Stripe returned a Checkout session without a URL.");
  return { id: session.id, url: session.url };
}

/**
 * Verifies the `Stripe-Signature` header over the raw body (400 when missing, wrong or older
 * than the tolerance; 503 when unconfigured). Only the signature: the caller parses the body,
 * so malformed JSON is reported as such. `receivedAt`: the receiving time in unix seconds
 * (tests replaying a recorded delivery); now by default.
 */
export function verifyStripeSignature(
  rawBody: string,
  signature: string | null,
  options: { receivedAt?: number } = {},
): void {
  const secret = readEnv().STRIPE_WEBHOOK_SECRET;
  if (!secret) throw new NotConfiguredError("STRIPE_WEBHOOK_SECRET is not set.");
  if (!signature) throw new BadRequestError("The Stripe-Signature header is missing.");
  try {
    // The SDK takes the receiving time in milliseconds.
    Stripe.webhooks.signature!.verifyHeader(
      rawBody,
      signature,
      secret,
      WEBHOOK_TOLERANCE_SECONDS,
      undefined,
      options.receivedAt === undefined ? undefined : options.receivedAt * 1000,
    );
  } catch {
    throw new BadRequestError("The Stripe signature does not match this body, or is too old.");
  }
}
