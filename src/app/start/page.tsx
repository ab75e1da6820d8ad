import type { Metadata } from "next";
import { stripeConfigured } from "@/integrations/stripe";
import { PRICE_CENTS, PRICE_CURRENCY } from "@/projects/schema";
import { OrderForm } from "./order-form";

export const metadata: Metadata = {
  title: "Order your website",
  description:
    "Tell us about your business: we design, write, publish and check your website, and draft your first ad campaigns.",
};

const PRICE = `${(PRICE_CENTS / 100).toFixed(2)} ${PRICE_CURRENCY.toUpperCase()}`;

// /start — the client's order form. Whether Stripe is configured is read per request.
export default async function StartPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { cancelled } = await searchParams;
  const testMode = !stripeConfigured();
  return (
    <main className="page">
      <header className="page-header">
        <p className="eyebrow">Your website, ready today</p>
        <h1>Order your website</h1>
        <p className="lead">
          Tell us about your business. We design your site, write its pages, publish it, check it and draft your first
          ad campaigns.
        </p>
      </header>

      {cancelled === "1" ? (
        <div className="notice notice-info" role="status">
          <p>
            <strong>Payment cancelled: nothing was charged.</strong> Your order is not started; you can check your
            details below and order again whenever you are ready.
          </p>
        </div>
      ) : null}

      {testMode ? (
        // Test mode is explicit in production (ORDERS_TEST_MODE=1, src/env.ts): the client is told.
        <div className="notice notice-test" role="note" data-orders-test-mode="">
          <p>
            <strong>Test mode: no payment is taken; your site is generated at once.</strong> This deployment takes
            orders for trying the platform.
          </p>
        </div>
      ) : (
        <div className="notice notice-price">
          <p>
            <strong>Price: {PRICE}</strong>, paid once, by card through Stripe&apos;s secure checkout. Your site is
            generated as soon as the payment is confirmed.
          </p>
        </div>
      )}

      <section className="summary" aria-labelledby="included-heading">
        <h2 id="included-heading">What you get</h2>
        <ul className="included">
          <li>A published website of up to five pages, written for your audience</li>
          <li>A quality report of the published pages: valid HTML, accessibility, links and page weight</li>
          <li>Two or three search-ad campaign drafts ready for review</li>
          <li>An email with the link as soon as the site is live</li>
        </ul>
      </section>

      <OrderForm submitLabel={testMode ? "Create my website" : `Continue to payment (${PRICE})`} />
    </main>
  );
}
