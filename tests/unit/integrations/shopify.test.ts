import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  assertBodyFitsDelivery,
  assertShopAllowed,
  deliveryDigest,
  isValidShopifyHmac,
  readShopifyHeaders,
  verifyShopifyWebhook,
} from "@/integrations/shopify";
import { assertProductionConfig, ConfigError, readEnv } from "@/env";
import { CodedError } from "@/errors";

const FIXTURES = path.join(import.meta.dirname, "../../fixtures/shopify");
const SECRET = "shpss_TEST_FIXTURE_SECRET_not_a_real_secret";
const allHeaders = JSON.parse(readFileSync(path.join(FIXTURES, "headers.json"), "utf8")) as Record<
  string,
  Record<string, string>
>;
const fixture = (name: string) => ({
  body: readFileSync(path.join(FIXTURES, name), "utf8"),
  headers: new Headers(allHeaders[name]),
});

function codeOf(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (error) {
    return error instanceof CodedError ? error.code : "other";
  }
}

afterEach(() => vi.unstubAllEnvs());

describe("Shopify webhook signatures", () => {
  it("accept every fixture delivery byte for byte under the fixture secret", () => {
    for (const name of ["orders-create.json", "products-update.json", "customers-redact.json"]) {
      const { body, headers } = fixture(name);
      expect(isValidShopifyHmac(body, headers.get("x-shopify-hmac-sha256"), [SECRET])).toBe(true);
    }
  });

  it("refuse a body changed in any way, a wrong secret, or a missing or malformed header", () => {
    const { body, headers } = fixture("orders-create.json");
    const hmac = headers.get("x-shopify-hmac-sha256");
    expect(isValidShopifyHmac(body.replace("5981234567890", "5981234567891"), hmac, [SECRET])).toBe(false);
    expect(isValidShopifyHmac(body.trimEnd(), hmac, [SECRET])).toBe(false); // the trailing newline is signed too
    expect(isValidShopifyHmac(body, hmac, ["shpss_other"])).toBe(false);
    expect(isValidShopifyHmac(body, null, [SECRET])).toBe(false);
    expect(isValidShopifyHmac(body, "not base64!", [SECRET])).toBe(false);
    expect(isValidShopifyHmac(body, Buffer.from(hmac!, "base64").toString("hex"), [SECRET])).toBe(false); // hex is not what Shopify sends
  });

  it("accept only the exact signature of a body, for any body (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ minLength: 1 }), (body, other) => {
        const good = createHmac("sha256", SECRET).update(body, "utf8").digest("base64");
        expect(isValidShopifyHmac(body, good, [SECRET])).toBe(true);
        if (other !== body) expect(isValidShopifyHmac(other, good, [SECRET])).toBe(false);
      }),
    );
  });

  it("accept the old and the new secret during a rotation (comma-separated, new first)", () => {
    const { body, headers } = fixture("orders-create.json");
    vi.stubEnv("SHOPIFY_WEBHOOK_SECRET", `shpss_NEW_secret, ${SECRET}`);
    expect(codeOf(() => verifyShopifyWebhook(body, headers))).toBeNull();
    vi.stubEnv("SHOPIFY_WEBHOOK_SECRET", "shpss_NEW_secret");
    expect(codeOf(() => verifyShopifyWebhook(body, headers))).toBe("unauthorized");
  });

  it("answer 503 when no secret is configured, 401 for a bad signature", () => {
    const { body, headers } = fixture("orders-create.json");
    vi.stubEnv("SHOPIFY_WEBHOOK_SECRET", "");
    expect(codeOf(() => verifyShopifyWebhook(body, headers))).toBe("not_configured");
    vi.stubEnv("SHOPIFY_WEBHOOK_SECRET", SECRET);
    expect(codeOf(() => verifyShopifyWebhook(`${body} `, headers))).toBe("unauthorized");
  });
});

describe("Shopify delivery headers", () => {
  it("read the topic, shop, webhook id, event id, trigger time and API version", () => {
    expect(readShopifyHeaders(fixture("orders-create.json").headers)).toEqual({
      topic: "orders/create",
      shopDomain: "atelier-lindgren.myshopify.com",
      webhookId: "b54557e4-8a5f-4bf7-9d70-bcd043a1e001",
      eventId: "3f2e1d0c-9b8a-4765-8432-10fedcba0001",
      triggeredAt: "2026-03-14T09:22:33.118Z",
      apiVersion: "2026-01",
    });
    // customers/redact has no event id in the fixture: optional.
    expect(readShopifyHeaders(fixture("customers-redact.json").headers).eventId).toBeNull();
  });

  it("refuse a missing webhook id or a shop that is not a myshopify.com domain, naming the header", () => {
    const headers = new Headers(allHeaders["orders-create.json"]);
    headers.delete("x-shopify-webhook-id");
    headers.set("x-shopify-shop-domain", "evil.example.com");
    try {
      readShopifyHeaders(headers);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CodedError);
      const details = (error as CodedError).details as { header: string }[];
      expect(details.map((d) => d.header).sort()).toEqual(["X-Shopify-Shop-Domain", "X-Shopify-Webhook-Id"]);
    }
  });
});

/** An environment of exactly these variables. */
const env = (vars: Record<string, string>) => vars as unknown as NodeJS.ProcessEnv;

describe("configured shops (SHOPIFY_SHOP_DOMAINS, issue 15)", () => {
  const PRODUCTION = {
    APP_ENV: "production",
    DATABASE_URL: "postgres://x",
    ADMIN_API_KEY: "k",
    CRON_SECRET: "c",
    INTER_AGENT_SECRET: "i",
    SESSION_SECRET: "s",
    ENCRYPTION_KEYS: `1:${Buffer.alloc(32).toString("base64")}`,
  };

  it("production refuses to start with SHOPIFY_WEBHOOK_SECRET but without SHOPIFY_SHOP_DOMAINS, naming it", () => {
    expect(() => assertProductionConfig(env({ ...PRODUCTION, SHOPIFY_WEBHOOK_SECRET: SECRET }))).toThrow(
      /SHOPIFY_SHOP_DOMAINS/,
    );
    expect(() =>
      assertProductionConfig(
        env({ ...PRODUCTION, SHOPIFY_WEBHOOK_SECRET: SECRET, SHOPIFY_SHOP_DOMAINS: "a.myshopify.com" }),
      ),
    ).not.toThrow();
    // Without Shopify at all, nothing to name.
    expect(() => assertProductionConfig(env(PRODUCTION))).not.toThrow();
  });

  it("a malformed entry is a configuration error; the list is trimmed and lowercased", () => {
    expect(() => readEnv(env({ SHOPIFY_SHOP_DOMAINS: "a.myshopify.com,evil.example.com" }))).toThrow(ConfigError);
    expect(readEnv(env({ SHOPIFY_SHOP_DOMAINS: " A.myshopify.com , b.myshopify.com ," })).SHOPIFY_SHOP_DOMAINS).toEqual(
      ["a.myshopify.com", "b.myshopify.com"],
    );
  });

  it("accepts only a configured shop; unset, production refuses every shop and local mode accepts any", () => {
    const configured = env({ SHOPIFY_SHOP_DOMAINS: "a.myshopify.com" });
    expect(codeOf(() => assertShopAllowed("a.myshopify.com", configured))).toBeNull();
    expect(codeOf(() => assertShopAllowed("b.myshopify.com", configured))).toBe("forbidden");
    expect(codeOf(() => assertShopAllowed("b.myshopify.com", env({ APP_ENV: "production" })))).toBe("forbidden");
    expect(codeOf(() => assertShopAllowed("b.myshopify.com", env({})))).toBeNull();
  });
});

describe("privacy bodies must fit their delivery", () => {
  const shop = "a.myshopify.com";
  const bodies = {
    "customers/data_request": {
      shop_id: 1,
      shop_domain: shop,
      customer: { id: 2 },
      orders_requested: [3],
      data_request: { id: 4 },
    },
    "customers/redact": { shop_id: 1, shop_domain: shop, customer: { id: 2 }, orders_to_redact: [3] },
    "shop/redact": { shop_id: 1, shop_domain: shop },
  } as const;
  const topics = Object.keys(bodies) as (keyof typeof bodies)[];

  it("each privacy body fits its own topic only", () => {
    for (const topic of topics) {
      for (const [other, body] of Object.entries(bodies)) {
        expect(
          codeOf(() => assertBodyFitsDelivery({ topic, shopDomain: shop }, body)),
          `${other} body as ${topic}`,
        ).toBe(other === topic ? null : "bad_request");
      }
    }
  });

  it("refuses a privacy body naming another shop, or none, whatever else it holds", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...topics),
        fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue()),
        (topic, domain, extra) => {
          fc.pre(domain?.trim().toLowerCase() !== shop);
          const body = { ...extra, ...bodies[topic], shop_domain: domain };
          expect(codeOf(() => assertBodyFitsDelivery({ topic, shopDomain: shop }, body))).toBe("bad_request");
        },
      ),
    );
  });

  it("leaves other topics to their handlers", () => {
    expect(codeOf(() => assertBodyFitsDelivery({ topic: "orders/create", shopDomain: shop }, { id: 1 }))).toBeNull();
  });

  it("the digest depends on the topic and on every byte of the body", () => {
    expect(deliveryDigest("orders/create", "{}")).not.toBe(deliveryDigest("orders/paid", "{}"));
    expect(deliveryDigest("orders/create", "{}")).not.toBe(deliveryDigest("orders/create", "{} "));
    expect(deliveryDigest("orders/create", "{}")).toMatch(/^[0-9a-f]{64}$/);
  });
});
