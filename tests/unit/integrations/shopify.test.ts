import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isValidShopifyHmac, readShopifyHeaders, verifyShopifyWebhook } from "@/integrations/shopify";
import { ApiError } from "@/http/errors";

const FIXTURES = path.join(import.meta.dirname, "../../fixtures/shopify");
const SECRET = "shpss_TEST_FIXTURE_SECRET_not_a_real_secret";
const allHeaders = JSON.parse(readFileSync(path.join(FIXTURES, "headers.json"), "utf8")) as Record<string, Record<string, string>>;
const fixture = (name: string) => ({ body: readFileSync(path.join(FIXTURES, name), "utf8"), headers: new Headers(allHeaders[name]) });

function codeOf(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (error) {
    return error instanceof ApiError ? error.code : "other";
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
      expect(error).toBeInstanceOf(ApiError);
      const details = (error as ApiError).details as { header: string }[];
      expect(details.map((d) => d.header).sort()).toEqual(["X-Shopify-Shop-Domain", "X-Shopify-Webhook-Id"]);
    }
  });
});
