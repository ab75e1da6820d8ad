/**
 * The supplier protocol shared by the client (aliexpress.ts) and the simulated supplier
 * (simulator.ts): method names, development credentials, request signing. It imports nothing
 * of the app, so the simulator runs outside Next.js too (`npm start`, tests).
 *
 * Signing, as documented (integrations notes §8): every parameter except `sign` (and byte
 * arrays, which we never send), sorted by ASCII name, concatenated as `name + value` with no
 * separators; for REST/system APIs the API path is prepended, for `/sync` business calls it
 * is not (and `method` is one of the signed parameters). HMAC-SHA256 keyed with the App
 * Secret, upper-case hex, sent as `sign` with `sign_method=sha256`.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGN_METHOD = "sha256";

export const CREATE_ORDER_METHOD = "aliexpress.ds.order.create";
export const TRACKING_METHOD = "aliexpress.ds.order.tracking.get";
/** The business-call path under the API base. */
export const SYNC_PATH = "/sync";

/**
 * Development credentials: the simulator's defaults, and the client's ONLY when no
 * SUPPLIER_API_URL is configured outside production (aliexpress.ts, supplierConfig). They
 * protect nothing and are never sent to a real supplier.
 */
export const DEV_SUPPLIER_APP_KEY = "dev-supplier-app-key";
export const DEV_SUPPLIER_APP_SECRET = "dev-supplier-app-secret-not-for-production";
/** Where `npm start` in local mode runs the simulated supplier (loopback). */
export const DEV_SUPPLIER_PORT = 4010;

/** The string that gets signed. Exported for the known-answer test and for debugging. */
export function signingBase(params: Readonly<Record<string, string>>, apiPath = ""): string {
  // Plain `<` on the names: UTF-16 code-unit order, which is ASCII order for ASCII names
  // (localeCompare would not be).
  const names = Object.keys(params)
    .filter((name) => name !== "sign")
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return apiPath + names.map((name) => name + params[name]).join("");
}

/** The `sign` value: upper-case hex HMAC-SHA256 of the signing base. */
export function signParams(params: Readonly<Record<string, string>>, appSecret: string, apiPath = ""): string {
  return createHmac("sha256", appSecret).update(signingBase(params, apiPath), "utf8").digest("hex").toUpperCase();
}

/** Timing-safe check of a received `sign` (case-insensitive hex, as the platform compares). */
export function isValidSignature(params: Readonly<Record<string, string>>, appSecret: string, apiPath = ""): boolean {
  const received = params.sign;
  if (typeof received !== "string" || !/^[0-9a-fA-F]{64}$/.test(received)) return false;
  const expected = Buffer.from(signParams(params, appSecret, apiPath), "hex");
  return timingSafeEqual(expected, Buffer.from(received, "hex"));
}
