/**
 * The supplier adapter: an AliExpress-Dropshipping-shaped client (integrations notes §8) for
 * `aliexpress.ds.order.create` and `aliexpress.ds.order.tracking.get`, over fetch: a signed,
 * form-encoded POST to `<SUPPLIER_API_URL>/sync` per call.
 *
 * Exactly-once ordering: `createOrder` sends the caller's own order id as `out_order_id`, the
 * supplier's dedupe key. A retried submission (after a timeout, a 5xx, a lost response or a
 * crash) sends the same key and gets the same supplier order back instead of a second order.
 * That is why an unreadable or lost answer is a SupplierUnavailable (retry) and not a failure:
 * retrying is always safe. ⚠ AliExpress documents a 24 h dedupe window, so retries must stop
 * well within a day (the engine's retry policies do).
 *
 * Failures are classified for the engine (src/step-errors.ts): SupplierRejected is a
 * NonRetryableError (a 4xx, a gateway refusal such as a bad signature or app key, or a
 * business error such as an invalid quantity: retrying cannot help); SupplierUnavailable is a
 * RetryableError (5xx, 408/429, throttling, network failure, timeout, unreadable answer).
 *
 * No personal data in errors: messages and details carry the method, the HTTP status and the
 * supplier's error code only, never the request, the address or the supplier's free-text
 * message (which may echo what we sent), and no `cause` (its text is not ours to control).
 */
import { z } from "zod";
import { ConfigError, isProduction, readEnv } from "@/env";
import { NonRetryableError, RetryableError } from "@/step-errors";
import { outboundFetch, OutboundRefused } from "@/integrations/outbound";
import { readLimitedText } from "@/util/read-limited";
import {
  CREATE_ORDER_METHOD,
  DEV_SUPPLIER_APP_KEY,
  DEV_SUPPLIER_APP_SECRET,
  DEV_SUPPLIER_PORT,
  SIGN_METHOD,
  SYNC_PATH,
  TRACKING_METHOD,
  signParams,
} from "./protocol";

export { CREATE_ORDER_METHOD, DEV_SUPPLIER_APP_KEY, DEV_SUPPLIER_APP_SECRET, DEV_SUPPLIER_PORT, TRACKING_METHOD };

/** Per request; the caller's `signal` (the step's timeout) bounds retries around it. */
export const DEFAULT_TIMEOUT_MS = 15_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** The local simulator (`npm start` in local mode runs it there): the client default outside production. */
export const DEV_SUPPLIER_URL = `http://127.0.0.1:${DEV_SUPPLIER_PORT}`;

// ---------------------------------------------------------------------------------------------
// Configuration

export interface SupplierConfig {
  /** The API base; calls go to `<apiUrl>/sync`. */
  apiUrl: string;
  appKey: string;
  appSecret: string;
  /** The seller's OAuth access token, sent as `session` when set (the real API needs one). */
  accessToken?: string;
  /** True when these are the development defaults aimed at the local simulator. */
  simulated: boolean;
}

/**
 * The supplier configuration, or null when there is none (production without a supplier).
 *
 * - SUPPLIER_API_URL (from readEnv, src/env.ts) set: SUPPLIER_APP_KEY and SUPPLIER_APP_SECRET
 *   must be set too, or a ConfigError names the missing variables. A configured URL never falls
 *   back to the development secret: that would sign real requests with a public value.
 * - SUPPLIER_API_URL unset outside production: the local simulator at DEV_SUPPLIER_URL with the
 *   development credentials, so `npm start` works with no configuration at all.
 * - SUPPLIER_API_URL unset in production: null; the caller reports "not configured".
 *
 * SUPPLIER_APP_KEY, SUPPLIER_APP_SECRET and the optional SUPPLIER_ACCESS_TOKEN are read from
 * `process.env` here rather than through the env.ts schema: they concern this adapter only, and
 * are read lazily (per call), like readEnv.
 */
export function supplierConfig(source: NodeJS.ProcessEnv = process.env): SupplierConfig | null {
  const value = (name: string) => source[name]?.trim() || undefined;
  const apiUrl = readEnv(source).SUPPLIER_API_URL;
  if (!apiUrl) {
    if (isProduction(source)) return null;
    return {
      apiUrl: DEV_SUPPLIER_URL,
      appKey: DEV_SUPPLIER_APP_KEY,
      appSecret: DEV_SUPPLIER_APP_SECRET,
      simulated: true,
    };
  }
  const appKey = value("SUPPLIER_APP_KEY");
  const appSecret = value("SUPPLIER_APP_SECRET");
  if (!appKey || !appSecret) {
    const missing = [!appKey && "SUPPLIER_APP_KEY", !appSecret && "SUPPLIER_APP_SECRET"].filter(Boolean).join(", ");
    throw new ConfigError(`SUPPLIER_API_URL is set but ${missing} is not.`);
  }
  const accessToken = value("SUPPLIER_ACCESS_TOKEN");
  return { apiUrl, appKey, appSecret, ...(accessToken ? { accessToken } : {}), simulated: false };
}

// ---------------------------------------------------------------------------------------------
// Errors

export interface SupplierErrorDetails {
  method: string;
  /** HTTP status, when an answer came back. */
  status?: number;
  /** The supplier's error code (`error_code`, `code` or `sub_code`), never its message. */
  code?: string;
}

/** The supplier refused the request: do not retry, a person must look at the order. */
export class SupplierRejected extends NonRetryableError {
  override readonly details: SupplierErrorDetails;
  constructor(message: string, details: SupplierErrorDetails) {
    super(message, details);
    this.name = "SupplierRejected";
    this.details = details;
  }
}

/** The supplier could not be reached or answered unusably: retry (same out_order_id). */
export class SupplierUnavailable extends RetryableError {
  override readonly details: SupplierErrorDetails;
  constructor(message: string, details: SupplierErrorDetails) {
    super(message, details);
    this.name = "SupplierUnavailable";
    this.details = details;
  }
}

// ---------------------------------------------------------------------------------------------
// Requests and answers

export interface SupplierAddress {
  fullName: string;
  /** Mobile number without the country code. */
  phone: string;
  /** Country calling code, e.g. "+49". */
  phoneCountry?: string;
  address: string;
  address2?: string;
  city: string;
  province?: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  zip: string;
}

export interface SupplierOrderLine {
  productId: string;
  /** The variant, as AliExpress encodes it (e.g. "14:193#Black;5:100014064"). */
  skuAttr?: string;
  quantity: number;
  /** From aliexpress.ds.freight.query; the supplier picks one when absent. */
  logisticsServiceName?: string;
}

export interface CreateOrderInput {
  /** Our own order id: the supplier-side dedupe key. */
  outOrderId: string;
  lines: SupplierOrderLine[];
  address: SupplierAddress;
  signal?: AbortSignal;
}

export interface CreatedSupplierOrder {
  /** The first (usually only) supplier order. */
  supplierOrderId: string;
  /** AliExpress splits an order per seller: every supplier order created for it. */
  supplierOrderIds: string[];
}

export type SupplierTracking =
  | { status: "pending" }
  | {
      status: "shipped";
      trackingNumber: string;
      carrier: string | null;
      trackingNumbers: { trackingNumber: string; carrier: string | null }[];
    };

/**
 * Ids are numbers in AliExpress answers, strings in ours. (AliExpress ids have 16 digits,
 * under 2^53 today; a longer id would lose digits in JSON.parse before we see it.)
 */
const id = z.union([z.string().min(1), z.number().int().nonnegative()]).transform(String);

/** The gateway's own refusal (signature, app key, throttling, unknown method...). */
const gatewayError = z.object({
  error_response: z
    .object({
      code: z.union([z.string(), z.number()]).transform(String).optional(),
      sub_code: z.string().optional(),
      type: z.string().optional(),
    })
    .passthrough(),
});

const createAnswer = z.object({
  aliexpress_ds_order_create_response: z.object({
    result: z
      .object({
        is_success: z.boolean(),
        // `{number: [..]}` in AliExpress answers; a bare list accepted too.
        order_list: z.union([z.object({ number: z.array(id) }), z.array(id)]).nullish(),
        error_code: z.union([z.string(), z.number()]).transform(String).nullish(),
      })
      .passthrough(),
  }),
});

const trackingAnswer = z.object({
  aliexpress_ds_order_tracking_get_response: z.object({
    result: z
      .object({
        // ret:false is "not found / nothing yet", not an error (notes §8).
        ret: z.boolean(),
        code: z.union([z.string(), z.number()]).transform(String).nullish(),
        data: z
          .object({
            tracking_detail_line_list: z
              .array(z.object({ mail_no: z.string().nullish(), carrier_name: z.string().nullish() }).passthrough())
              .nullish(),
          })
          .passthrough()
          .nullish(),
      })
      .passthrough(),
  }),
});

/** A supplier error code, kept only when it looks like one (so no echoed text gets through). */
function safeCode(code: string | null | undefined): string | undefined {
  return code && /^[A-Za-z0-9._:-]{1,80}$/.test(code) ? code : undefined;
}

/** Gateway codes that mean "later", not "no": throttling and the platform's own faults. */
function isTransientGatewayCode(code: string | undefined, type: string | undefined): boolean {
  if (type?.toUpperCase() === "ISP") return true;
  return /^(isp\.|ApiCallLimit|AppCallLimit|SystemBusy|ServiceUnavailable|InternalError)/i.test(code ?? "");
}

// ---------------------------------------------------------------------------------------------
// The client

export interface SupplierClientOptions {
  /**
   * A fake fetch for tests. By default a configured supplier is called under the outbound policy
   * (src/integrations/outbound: no private or loopback address unless listed in
   * HTTP_STEP_ALLOWED_HOSTS); the built-in simulator of local mode (`simulated`, never in
   * production) is ours, on loopback, and is called directly.
   */
  fetch?: typeof fetch;
  /** Per request, in ms (DEFAULT_TIMEOUT_MS by default). */
  timeoutMs?: number;
  /** The clock for `timestamp` (ms). */
  now?: () => number;
}

export interface SupplierClient {
  createOrder(input: CreateOrderInput): Promise<CreatedSupplierOrder>;
  queryTracking(input: { supplierOrderId: string; language?: string; signal?: AbortSignal }): Promise<SupplierTracking>;
}

/** The `/sync` endpoint of a base URL (a base that already ends in /sync is kept). */
export function syncEndpoint(apiUrl: string): string {
  const base = apiUrl.replace(/\/+$/, "");
  return base.endsWith(SYNC_PATH) ? base : `${base}${SYNC_PATH}`;
}

/** The client for the configured supplier; throws a ConfigError when there is none. */
export function supplierClient(options: SupplierClientOptions = {}): SupplierClient {
  const config = supplierConfig();
  if (!config) throw new ConfigError("No supplier is configured (SUPPLIER_API_URL).");
  return createSupplierClient(config, options);
}

/** fetch() under the outbound policy, with the supplier's `redirect: "error"` (a redirect fails the call). */
const policedFetch: typeof fetch = async (input, init) => {
  const res = await outboundFetch(String(input instanceof Request ? input.url : input), {
    method: init?.method,
    headers: init?.headers,
    body: typeof init?.body === "string" ? init.body : undefined,
    signal: init?.signal ?? undefined,
  });
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel();
    throw new TypeError("the supplier answered with a redirect");
  }
  return res;
};

export function createSupplierClient(
  config: Omit<SupplierConfig, "simulated"> & { simulated?: boolean },
  options: SupplierClientOptions = {},
): SupplierClient {
  const endpoint = syncEndpoint(config.apiUrl);
  // Only the built-in simulator address itself is exempt: a supplier row's own URL is always policed.
  const doFetch = options.fetch ?? (config.simulated && config.apiUrl === DEV_SUPPLIER_URL ? fetch : policedFetch);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = options.now ?? Date.now;

  /** One signed call; returns the parsed JSON of a 2xx answer that is not a gateway error. */
  async function call(
    method: string,
    businessParams: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const params: Record<string, string> = {
      ...businessParams,
      method,
      app_key: config.appKey,
      timestamp: String(now()),
      sign_method: SIGN_METHOD,
      ...(config.accessToken ? { session: config.accessToken } : {}),
    };
    params.sign = signParams(params, config.appSecret);

    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    let text: string | null;
    try {
      response = await doFetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded;charset=utf-8", accept: "application/json" },
        body: new URLSearchParams(params).toString(),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        redirect: "error",
      });
      text = await readLimitedText(response, MAX_RESPONSE_BYTES);
    } catch (error) {
      // The caller cancelled (the step's own timeout, a shutdown): theirs to report.
      if (signal?.aborted) throw signal.reason;
      // A configured URL the policy refuses will be refused again: a person must fix the configuration.
      if (error instanceof OutboundRefused)
        throw new SupplierRejected(`Supplier call ${method} refused: ${error.message}.`, { method });
      const what = timeout.aborted ? `timed out after ${timeoutMs} ms` : "could not be reached";
      throw new SupplierUnavailable(`Supplier call ${method} ${what}.`, { method });
    }

    const status = response.status;
    if (status >= 500 || status === 408 || status === 429) {
      throw new SupplierUnavailable(`Supplier call ${method} failed with HTTP ${status}.`, { method, status });
    }
    let body: unknown;
    try {
      body = text === null ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    const refused = gatewayError.safeParse(body);
    if (refused.success) {
      const { code, sub_code: subCode, type } = refused.data.error_response;
      const shownCode = safeCode(subCode) ?? safeCode(code);
      const details = { method, status, ...(shownCode ? { code: shownCode } : {}) };
      if (status < 400 && isTransientGatewayCode(shownCode, type))
        throw new SupplierUnavailable(
          `Supplier call ${method} was throttled or failed at the supplier (${shownCode}).`,
          details,
        );
      throw new SupplierRejected(`Supplier refused ${method}${shownCode ? ` (${shownCode})` : ""}.`, details);
    }
    if (status >= 400)
      throw new SupplierRejected(`Supplier refused ${method} with HTTP ${status}.`, { method, status });
    if (body === undefined)
      throw new SupplierUnavailable(`Supplier answered ${method} with an unreadable body.`, { method, status });
    return body;
  }

  return {
    async createOrder({ outOrderId, lines, address, signal }) {
      const method = CREATE_ORDER_METHOD;
      const request = {
        out_order_id: outOrderId,
        logistics_address: {
          full_name: address.fullName,
          contact_person: address.fullName,
          mobile_no: address.phone,
          ...(address.phoneCountry ? { phone_country: address.phoneCountry } : {}),
          address: address.address,
          ...(address.address2 ? { address2: address.address2 } : {}),
          city: address.city,
          ...(address.province ? { province: address.province } : {}),
          country: address.country,
          zip: address.zip,
        },
        product_items: lines.map((line) => ({
          product_id: line.productId,
          product_count: line.quantity,
          ...(line.skuAttr ? { sku_attr: line.skuAttr } : {}),
          ...(line.logisticsServiceName ? { logistics_service_name: line.logisticsServiceName } : {}),
        })),
      };
      const body = await call(method, { param_place_order_request4_open_api_d_t_o: JSON.stringify(request) }, signal);
      const parsed = createAnswer.safeParse(body);
      // Unrecognised: the order may or may not exist; a retry with the same key finds out.
      if (!parsed.success)
        throw new SupplierUnavailable(`Supplier answered ${method} in an unexpected shape.`, { method, status: 200 });
      const result = parsed.data.aliexpress_ds_order_create_response.result;
      const list = result.order_list;
      const ids = list ? (Array.isArray(list) ? list : list.number) : [];
      if (!result.is_success) {
        const code = safeCode(result.error_code);
        throw new SupplierRejected(`Supplier rejected the order${code ? ` (${code})` : ""}.`, {
          method,
          status: 200,
          ...(code ? { code } : {}),
        });
      }
      // is_success with no order id cannot be acted on, and a retry is safe: try again.
      const [first] = ids;
      if (first === undefined)
        throw new SupplierUnavailable(`Supplier answered ${method} with success but no order id.`, {
          method,
          status: 200,
        });
      return { supplierOrderId: first, supplierOrderIds: ids };
    },

    async queryTracking({ supplierOrderId, language = "en_US", signal }) {
      const method = TRACKING_METHOD;
      const body = await call(method, { ae_order_id: supplierOrderId, language }, signal);
      const parsed = trackingAnswer.safeParse(body);
      if (!parsed.success)
        throw new SupplierUnavailable(`Supplier answered ${method} in an unexpected shape.`, { method, status: 200 });
      const result = parsed.data.aliexpress_ds_order_tracking_get_response.result;
      const lines = (result.data?.tracking_detail_line_list ?? []).flatMap((line) =>
        line.mail_no ? [{ trackingNumber: line.mail_no, carrier: line.carrier_name ?? null }] : [],
      );
      const [first] = lines;
      if (!result.ret || !first) return { status: "pending" };
      return {
        status: "shipped",
        trackingNumber: first.trackingNumber,
        carrier: first.carrier,
        trackingNumbers: lines,
      };
    },
  };
}
