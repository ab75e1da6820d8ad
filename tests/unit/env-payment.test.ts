/**
 * A production server never gives sites away by accident (src/env.ts assertPaymentConfig,
 * ordersTestMode; src/instrumentation.ts): without Stripe, or with a Stripe key but no webhook
 * secret, it refuses to start unless ORDERS_TEST_MODE=1 says test mode on purpose.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { assertPaymentConfig, ConfigError, ordersTestMode } from "@/env";
import { register } from "@/instrumentation";

const STRIPE = { STRIPE_SECRET_KEY: "sk_test_x", STRIPE_WEBHOOK_SECRET: "whsec_x" };
const src = (vars: Record<string, string>) => vars as NodeJS.ProcessEnv;
/** The kinds of server that take real orders: Vercel, APP_ENV=production, and any `next start`. */
const SERVERS: Record<string, string>[] = [{ VERCEL: "1" }, { APP_ENV: "production" }, { NODE_ENV: "production" }];

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("assertPaymentConfig", () => {
  it.each(SERVERS)("refuses %o without STRIPE_SECRET_KEY, naming the fix", (server) => {
    expect(() => assertPaymentConfig(src(server))).toThrow(ConfigError);
    expect(() => assertPaymentConfig(src(server))).toThrow(/STRIPE_SECRET_KEY.*ORDERS_TEST_MODE=1/s);
  });

  it.each(SERVERS)("refuses %o with a Stripe key but no webhook secret (paid, never started)", (server) => {
    expect(() => assertPaymentConfig(src({ ...server, STRIPE_SECRET_KEY: "sk_test_x" }))).toThrow(
      /STRIPE_WEBHOOK_SECRET.*never start/s,
    );
  });

  it.each(SERVERS)("accepts %o with both Stripe keys, or with ORDERS_TEST_MODE=1", (server) => {
    expect(() => assertPaymentConfig(src({ ...server, ...STRIPE }))).not.toThrow();
    expect(() => assertPaymentConfig(src({ ...server, ORDERS_TEST_MODE: "1" }))).not.toThrow();
    expect(() =>
      assertPaymentConfig(src({ ...server, STRIPE_SECRET_KEY: "sk_test_x", ORDERS_TEST_MODE: "1" })),
    ).not.toThrow();
  });

  it("does not concern development and tests (`next dev`, vitest)", () => {
    expect(() => assertPaymentConfig(src({}))).not.toThrow();
    expect(() => assertPaymentConfig(src({ NODE_ENV: "development" }))).not.toThrow();
    expect(() => assertPaymentConfig(src({ NODE_ENV: "test", STRIPE_SECRET_KEY: "sk_test_x" }))).not.toThrow();
  });

  it("refuses a value of ORDERS_TEST_MODE other than 0 or 1 rather than guessing", () => {
    expect(() => assertPaymentConfig(src({ NODE_ENV: "production", ORDERS_TEST_MODE: "yes" }))).toThrow(
      /ORDERS_TEST_MODE/,
    );
    expect(() => assertPaymentConfig(src({ NODE_ENV: "production", ORDERS_TEST_MODE: "0" }))).toThrow(
      /STRIPE_SECRET_KEY/,
    );
  });
});

describe("ordersTestMode", () => {
  it("is on with ORDERS_TEST_MODE=1, even with Stripe keys", () => {
    expect(ordersTestMode(src({ VERCEL: "1", ...STRIPE, ORDERS_TEST_MODE: "1" }))).toBe(true);
  });

  it("is on without a Stripe key in development, off with one", () => {
    expect(ordersTestMode(src({}))).toBe(true);
    expect(ordersTestMode(src(STRIPE))).toBe(false);
  });

  it.each(SERVERS)(
    "is never on implicitly on %o: a server running without Stripe asks Stripe and fails rather than give the site away",
    (server) => {
      expect(ordersTestMode(src(server))).toBe(false);
    },
  );
});

describe("the server's start (instrumentation)", () => {
  it("refuses to start `next start` without Stripe or ORDERS_TEST_MODE=1", async () => {
    vi.stubEnv("NEXT_RUNTIME", "nodejs");
    vi.stubEnv("NEXT_PHASE", "");
    vi.stubEnv("NODE_ENV", "production");
    vi.stubEnv("VERCEL", "");
    vi.stubEnv("APP_ENV", "");
    vi.stubEnv("STRIPE_SECRET_KEY", "");
    vi.stubEnv("STRIPE_WEBHOOK_SECRET", "");
    vi.stubEnv("ORDERS_TEST_MODE", "");
    await expect(register()).rejects.toThrow(/STRIPE_SECRET_KEY.*ORDERS_TEST_MODE=1/s);
  });
});
