import { createHmac } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "@/env";
import { NonRetryableError, RetryableError, describeStepError } from "@/step-errors";
import {
  DEV_SUPPLIER_APP_KEY,
  DEV_SUPPLIER_URL,
  SupplierRejected,
  SupplierUnavailable,
  createSupplierClient,
  supplierConfig,
  syncEndpoint,
  type SupplierAddress,
  type SupplierClient,
} from "@/integrations/supplier/aliexpress";
import { isValidSignature, signParams, signingBase } from "@/integrations/supplier/protocol";
import { SupplierSimulator, type RunningSimulator } from "@/integrations/supplier/simulator";

const APP_KEY = "test-app-key";
const APP_SECRET = "test-app-secret";

/** Personal data that must never appear in an error. */
const ADDRESS: SupplierAddress = {
  fullName: "Erika Mustermann",
  phone: "15123456789",
  phoneCountry: "+49",
  address: "Heidestrasse 17",
  city: "Koeln",
  province: "NRW",
  country: "DE",
  zip: "51147",
};
const PERSONAL = [ADDRESS.fullName, ADDRESS.phone, ADDRESS.address, ADDRESS.city, ADDRESS.zip, "Erika", "Heidestrasse"];
const LINES = [{ productId: "1005006000000001", skuAttr: "14:193#Black", quantity: 2 }];

let simulator: SupplierSimulator;
let running: RunningSimulator;
let client: SupplierClient;

beforeEach(async () => {
  // A configured supplier URL is under the outbound policy: the loopback simulator is listed.
  process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
  simulator = new SupplierSimulator({ appKey: APP_KEY, appSecret: APP_SECRET });
  running = await simulator.start();
  client = createSupplierClient({ apiUrl: running.url, appKey: APP_KEY, appSecret: APP_SECRET }, { timeoutMs: 2_000 });
});

afterEach(async () => {
  delete process.env.HTTP_STEP_ALLOWED_HOSTS;
  await running.close();
});

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

function expectNoPersonalData(error: unknown): void {
  const text = JSON.stringify({
    message: (error as Error).message,
    details: (error as { details?: unknown }).details,
    cause: String((error as Error).cause ?? ""),
  });
  for (const value of PERSONAL) expect(text).not.toContain(value);
}

describe("request signing", () => {
  it("signs the ASCII-sorted key+value concatenation with HMAC-SHA256, upper-case hex (known answer)", () => {
    const params = {
      timestamp: "1700000000000",
      method: "aliexpress.ds.order.tracking.get",
      app_key: "12345678",
      sign_method: "sha256",
      ae_order_id: "8100000000000001",
      language: "en_US",
    };
    const base =
      "ae_order_id8100000000000001app_key12345678languageen_USmethodaliexpress.ds.order.tracking.getsign_methodsha256timestamp1700000000000";
    expect(signingBase(params)).toBe(base);
    // Computed independently with `openssl dgst -sha256 -hmac test-secret` over `base`.
    const expected = "414F8BB821182255755517891251598D20FB223566A21746650A0E019917C352";
    expect(createHmac("sha256", "test-secret").update(base).digest("hex").toUpperCase()).toBe(expected);
    expect(signParams(params, "test-secret")).toBe(expected);
  });

  it("leaves `sign` itself out of the signed string and prepends the API path for REST calls", () => {
    expect(signingBase({ b: "2", sign: "X", a: "1" })).toBe("a1b2");
    expect(signingBase({ b: "2", a: "1" }, "/auth/token/create")).toBe("/auth/token/createa1b2");
  });

  it("sorts by ASCII code, not locale (upper case before lower case, `_` between)", () => {
    expect(signingBase({ b: "3", a_b: "2", B: "1" })).toBe("B1a_b2b3");
  });

  it("accepts its own signature and refuses a tampered parameter", () => {
    const params = { method: "m", app_key: "k", timestamp: "1", sign_method: "sha256" };
    const signed = { ...params, sign: signParams(params, "s") };
    expect(isValidSignature(signed, "s")).toBe(true);
    expect(isValidSignature({ ...signed, sign: signed.sign.toLowerCase() }, "s")).toBe(true);
    expect(isValidSignature({ ...signed, timestamp: "2" }, "s")).toBe(false);
    expect(isValidSignature(signed, "other secret")).toBe(false);
    expect(isValidSignature(params, "s")).toBe(false);
  });
});

describe("createOrder against the simulated supplier", () => {
  it("places an order and returns the supplier's order id as a string", async () => {
    const created = await client.createOrder({ outOrderId: "ord_1", lines: LINES, address: ADDRESS });
    expect(created.supplierOrderId).toMatch(/^\d{16}$/);
    expect(created.supplierOrderIds).toEqual([created.supplierOrderId]);
    expect(simulator.orders).toHaveLength(1);
    const [order] = simulator.orders;
    expect(order).toMatchObject({
      supplierOrderId: created.supplierOrderId,
      outOrderId: "ord_1",
      items: [{ productId: "1005006000000001", quantity: 2, skuAttr: "14:193#Black" }],
    });
    // snake_case on the wire (camelCase would be silently ignored by AliExpress).
    expect(order?.address).toMatchObject({
      full_name: ADDRESS.fullName,
      mobile_no: ADDRESS.phone,
      phone_country: "+49",
      country: "DE",
      zip: "51147",
    });
  });

  it("sends the same out_order_id twice and gets the same supplier order, not a second one", async () => {
    const first = await client.createOrder({ outOrderId: "ord_2", lines: LINES, address: ADDRESS });
    const second = await client.createOrder({ outOrderId: "ord_2", lines: LINES, address: ADDRESS });
    expect(second.supplierOrderId).toBe(first.supplierOrderId);
    expect(simulator.orders).toHaveLength(1);
    const other = await client.createOrder({ outOrderId: "ord_3", lines: LINES, address: ADDRESS });
    expect(other.supplierOrderId).not.toBe(first.supplierOrderId);
    expect(simulator.orders).toHaveLength(2);
  });

  it("does not order twice when the first attempt's answer was lost to a timeout and the step retries", async () => {
    const impatient = createSupplierClient(
      { apiUrl: running.url, appKey: APP_KEY, appSecret: APP_SECRET },
      { timeoutMs: 100 },
    );
    simulator.delayMs = 500;
    const lost = await caught(impatient.createOrder({ outOrderId: "ord_4", lines: LINES, address: ADDRESS }));
    expect(lost).toBeInstanceOf(SupplierUnavailable);
    expect((lost as Error).message).toMatch(/timed out/);
    // The supplier did place it: only the answer was lost.
    expect(simulator.orders).toHaveLength(1);

    simulator.delayMs = 0;
    const retried = await impatient.createOrder({ outOrderId: "ord_4", lines: LINES, address: ADDRESS });
    expect(retried.supplierOrderId).toBe(simulator.orders[0]?.supplierOrderId);
    expect(simulator.orders).toHaveLength(1);
  });

  it("reports a 503 as SupplierUnavailable (retryable for the engine) and succeeds on the retry", async () => {
    simulator.failNext(2);
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await caught(client.createOrder({ outOrderId: "ord_5", lines: LINES, address: ADDRESS }));
      expect(error).toBeInstanceOf(SupplierUnavailable);
      expect(error).toBeInstanceOf(RetryableError);
      expect((error as SupplierUnavailable).details).toMatchObject({
        method: "aliexpress.ds.order.create",
        status: 503,
      });
      expect(describeStepError(error).retryable).toBe(true);
      expectNoPersonalData(error);
    }
    expect(simulator.orders).toHaveLength(0);
    const created = await client.createOrder({ outOrderId: "ord_5", lines: LINES, address: ADDRESS });
    expect(simulator.orders.map((o) => o.supplierOrderId)).toEqual([created.supplierOrderId]);
  });

  it("reports a business refusal (quantity 0) as SupplierRejected with the supplier's code, and places nothing", async () => {
    const error = await caught(
      client.createOrder({
        outOrderId: "ord_6",
        lines: [{ productId: "1005006000000001", quantity: 0 }],
        address: ADDRESS,
      }),
    );
    expect(error).toBeInstanceOf(SupplierRejected);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(describeStepError(error).retryable).toBe(false);
    expect((error as SupplierRejected).details).toEqual({
      method: "aliexpress.ds.order.create",
      status: 200,
      code: "INVALID_PRODUCT_COUNT",
    });
    expect(simulator.orders).toHaveLength(0);
    expectNoPersonalData(error);
  });

  it("reports an unreachable supplier as SupplierUnavailable", async () => {
    await running.close();
    const error = await caught(client.createOrder({ outOrderId: "ord_7", lines: LINES, address: ADDRESS }));
    expect(error).toBeInstanceOf(SupplierUnavailable);
    expect((error as Error).message).toMatch(/could not be reached/);
    expectNoPersonalData(error);
    running = await simulator.start(); // for afterEach
  });

  it("lets the caller's abort through as the caller's own reason, not as a supplier failure", async () => {
    simulator.delayMs = 300;
    const controller = new AbortController();
    const reason = new Error("step cancelled");
    setTimeout(() => controller.abort(reason), 50);
    await expect(
      client.createOrder({ outOrderId: "ord_8", lines: LINES, address: ADDRESS, signal: controller.signal }),
    ).rejects.toBe(reason);
  });

  it("keeps customer data out of errors even when the supplier echoes it in its message", async () => {
    const echoing = createSupplierClient(
      { apiUrl: "http://supplier.invalid", appKey: APP_KEY, appSecret: APP_SECRET },
      {
        fetch: async () =>
          Response.json({
            aliexpress_ds_order_create_response: {
              result: {
                is_success: false,
                error_code: `bad address ${ADDRESS.address}`,
                error_msg: `Cannot deliver to ${ADDRESS.fullName}, ${ADDRESS.address}`,
              },
            },
          }),
      },
    );
    const error = await caught(echoing.createOrder({ outOrderId: "ord_9", lines: LINES, address: ADDRESS }));
    expect(error).toBeInstanceOf(SupplierRejected);
    expectNoPersonalData(error);
  });
});

describe("gateway refusals", () => {
  it("is refused by the simulator when signed with the wrong secret (401, IncompleteSignature) → SupplierRejected", async () => {
    const forger = createSupplierClient({ apiUrl: running.url, appKey: APP_KEY, appSecret: "not-the-secret" });
    const error = await caught(forger.createOrder({ outOrderId: "ord_10", lines: LINES, address: ADDRESS }));
    expect(error).toBeInstanceOf(SupplierRejected);
    expect((error as SupplierRejected).details).toEqual({
      method: "aliexpress.ds.order.create",
      status: 401,
      code: "IncompleteSignature",
    });
    expect(simulator.orders).toHaveLength(0);
    expect(simulator.calls).toEqual([{ method: "aliexpress.ds.order.create", status: 401 }]);
    expectNoPersonalData(error);
  });

  it("refuses a request whose signed parameters were altered in transit", async () => {
    const params: Record<string, string> = {
      method: "aliexpress.ds.order.tracking.get",
      app_key: APP_KEY,
      timestamp: String(Date.now()),
      sign_method: "sha256",
      ae_order_id: "1",
    };
    params.sign = signParams(params, APP_SECRET);
    const honest = await fetch(syncEndpoint(running.url), { method: "POST", body: new URLSearchParams(params) });
    expect(honest.status).toBe(200);
    const tampered = await fetch(syncEndpoint(running.url), {
      method: "POST",
      body: new URLSearchParams({ ...params, ae_order_id: "2" }),
    });
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toMatchObject({ error_response: { code: "IncompleteSignature" } });
  });

  it("treats a gateway throttling answer as SupplierUnavailable", async () => {
    const throttled = createSupplierClient(
      { apiUrl: "http://supplier.invalid", appKey: APP_KEY, appSecret: APP_SECRET },
      { fetch: async () => Response.json({ error_response: { code: "ApiCallLimit", msg: "slow down", type: "ISP" } }) },
    );
    const error = await caught(throttled.queryTracking({ supplierOrderId: "1" }));
    expect(error).toBeInstanceOf(SupplierUnavailable);
    expect((error as SupplierUnavailable).details.code).toBe("ApiCallLimit");
  });

  it("treats an unrecognised 200 answer as SupplierUnavailable (a retry with the same key is safe)", async () => {
    const odd = createSupplierClient(
      { apiUrl: "http://supplier.invalid", appKey: APP_KEY, appSecret: APP_SECRET },
      { fetch: async () => new Response("<html>maintenance</html>") },
    );
    expect(await caught(odd.createOrder({ outOrderId: "ord_11", lines: LINES, address: ADDRESS }))).toBeInstanceOf(
      SupplierUnavailable,
    );
  });
});

describe("queryTracking", () => {
  it("is pending until the supplier ships, then returns the tracking number", async () => {
    const { supplierOrderId } = await client.createOrder({ outOrderId: "ord_20", lines: LINES, address: ADDRESS });
    expect(await client.queryTracking({ supplierOrderId })).toEqual({ status: "pending" });
    simulator.ship(supplierOrderId, "LP00123456789CN", "CAINIAO");
    expect(await client.queryTracking({ supplierOrderId })).toEqual({
      status: "shipped",
      trackingNumber: "LP00123456789CN",
      carrier: "CAINIAO",
      trackingNumbers: [{ trackingNumber: "LP00123456789CN", carrier: "CAINIAO" }],
    });
  });

  it("ships automatically after the configured number of queries", async () => {
    simulator.shipAfterQueries = 3;
    const { supplierOrderId } = await client.createOrder({ outOrderId: "ord_21", lines: LINES, address: ADDRESS });
    expect((await client.queryTracking({ supplierOrderId })).status).toBe("pending");
    expect((await client.queryTracking({ supplierOrderId })).status).toBe("pending");
    const third = await client.queryTracking({ supplierOrderId });
    expect(third.status).toBe("shipped");
  });

  it("reads an unknown order as pending (ret:false is not an error)", async () => {
    expect(await client.queryTracking({ supplierOrderId: "8999999999999999" })).toEqual({ status: "pending" });
  });
});

describe("supplierConfig", () => {
  const base: NodeJS.ProcessEnv = { NODE_ENV: "test", DATA_DIR: process.env.DATA_DIR };

  it("uses the local simulator with development credentials when no SUPPLIER_API_URL is set outside production", () => {
    expect(supplierConfig(base)).toEqual({
      apiUrl: DEV_SUPPLIER_URL,
      appKey: DEV_SUPPLIER_APP_KEY,
      appSecret: expect.any(String),
      simulated: true,
    });
    // The simulator's defaults match, so `npm start` needs no configuration.
    expect(new SupplierSimulator().appKey).toBe(DEV_SUPPLIER_APP_KEY);
  });

  it("has no supplier in production without SUPPLIER_API_URL", () => {
    expect(supplierConfig({ ...base, APP_ENV: "production" })).toBeNull();
  });

  it("never signs a configured supplier's requests with the development secret", () => {
    expect(() => supplierConfig({ ...base, SUPPLIER_API_URL: "https://api-sg.aliexpress.com" })).toThrow(ConfigError);
    expect(() =>
      supplierConfig({ ...base, SUPPLIER_API_URL: "https://api-sg.aliexpress.com", SUPPLIER_APP_KEY: "k" }),
    ).toThrow(/SUPPLIER_APP_SECRET/);
    expect(
      supplierConfig({
        ...base,
        SUPPLIER_API_URL: "https://api-sg.aliexpress.com",
        SUPPLIER_APP_KEY: "k",
        SUPPLIER_APP_SECRET: "s",
        SUPPLIER_ACCESS_TOKEN: "t",
      }),
    ).toEqual({
      apiUrl: "https://api-sg.aliexpress.com",
      appKey: "k",
      appSecret: "s",
      accessToken: "t",
      simulated: false,
    });
  });

  it("posts business calls to <base>/sync", () => {
    expect(syncEndpoint("https://api-sg.aliexpress.com")).toBe("https://api-sg.aliexpress.com/sync");
    expect(syncEndpoint("https://api-sg.aliexpress.com/sync/")).toBe("https://api-sg.aliexpress.com/sync");
  });
});
