/**
 * /start tells the client when orders are taken without payment (test mode), and only then:
 * test mode is ORDERS_TEST_MODE=1 (or no Stripe key in development), never a production server
 * that merely lacks its Stripe key (src/env.ts ordersTestMode).
 */
import { renderToStaticMarkup } from "react-dom/server";
import { afterEach, expect, it, vi } from "vitest";
import StartPage from "@/app/start/page";

async function render(): Promise<string> {
  return renderToStaticMarkup(await StartPage({ searchParams: Promise.resolve({}) }));
}

function stub(vars: Record<string, string>): void {
  for (const name of ["VERCEL", "APP_ENV", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "ORDERS_TEST_MODE"])
    vi.stubEnv(name, vars[name] ?? "");
  if (vars.NODE_ENV) vi.stubEnv("NODE_ENV", vars.NODE_ENV);
}

afterEach(() => {
  vi.unstubAllEnvs();
});

it("shows the test-mode notice when ORDERS_TEST_MODE=1, even with Stripe keys set", async () => {
  stub({
    NODE_ENV: "production",
    STRIPE_SECRET_KEY: "sk_test_x",
    STRIPE_WEBHOOK_SECRET: "whsec_x",
    ORDERS_TEST_MODE: "1",
  });
  const html = await render();
  expect(html).toContain("data-orders-test-mode");
  expect(html).toMatch(/Test mode: no payment is taken/);
  expect(html).not.toMatch(/Continue to payment/);
});

it("a production server without Stripe and without test mode never offers a free site", async () => {
  stub({ NODE_ENV: "production" });
  const html = await render();
  expect(html).not.toContain("data-orders-test-mode");
  expect(html).toMatch(/Continue to payment \(399\.00 EUR\)/);
});

it("with both Stripe keys, asks for payment", async () => {
  stub({ NODE_ENV: "production", STRIPE_SECRET_KEY: "sk_test_x", STRIPE_WEBHOOK_SECRET: "whsec_x" });
  const html = await render();
  expect(html).not.toContain("data-orders-test-mode");
  expect(html).toMatch(/Price: 399\.00 EUR/);
});
