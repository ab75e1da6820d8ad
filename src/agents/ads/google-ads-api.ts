/**
 * The Google Ads REST API, over fetch: the OAuth refresh-token exchange, a GAQL search and the
 * `googleAds:mutate` call. No client library: three POSTs do not justify one.
 *
 * Failures are classified for the engine: a refusal (4xx other than 408, 409 and 429, and a
 * refused OAuth grant) is an ActionRejected, so the step fails at once; throttling, a server
 * error or a network failure is a plain Error, so the step is retried.
 *
 * No credential leaves this module: error messages and details are scrubbed of the developer
 * token, the client secret, the refresh token and the access token, whatever Google echoes back.
 * Errors carry no `cause` for the same reason (a cause's text is not scrubbed).
 */
import type { Env } from "@/env";
import { readLimitedText } from "@/util/read-limited";
import { ActionRejected } from "../framework";

/** The one place the API version lives. v21 and v22 were sunset in 2026 (Aug 5, Oct 7). */
export const GOOGLE_ADS_API_VERSION = "v26";
const DEFAULT_API_URL = "https://googleads.googleapis.com";
const DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token";
/** Per request; the action's own timeout (ctx.signal) bounds the three together. */
const REQUEST_TIMEOUT_MS = 15_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;
const MAX_MESSAGE_CHARS = 1000;
const REDACTED = "[redacted]";

/** What a live launch needs; all five must be set. */
export const GOOGLE_ADS_REQUIRED = [
  "GOOGLE_ADS_DEVELOPER_TOKEN",
  "GOOGLE_ADS_CLIENT_ID",
  "GOOGLE_ADS_CLIENT_SECRET",
  "GOOGLE_ADS_REFRESH_TOKEN",
  "GOOGLE_ADS_CUSTOMER_ID",
] as const;
export type GoogleAdsRequired = (typeof GOOGLE_ADS_REQUIRED)[number];

export interface GoogleAdsConfig {
  developerToken: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** Digits only. */
  customerId: string;
  loginCustomerId: string | undefined;
  apiUrl: string;
  tokenUrl: string;
}

/** The configuration, or the names of the required variables that are missing. */
export function googleAdsConfig(
  env: Env,
): { ok: true; config: GoogleAdsConfig } | { ok: false; missing: GoogleAdsRequired[] } {
  const missing = GOOGLE_ADS_REQUIRED.filter((name) => !env[name]);
  const {
    GOOGLE_ADS_DEVELOPER_TOKEN: developerToken,
    GOOGLE_ADS_CLIENT_ID: clientId,
    GOOGLE_ADS_CLIENT_SECRET: clientSecret,
  } = env;
  const { GOOGLE_ADS_REFRESH_TOKEN: refreshToken, GOOGLE_ADS_CUSTOMER_ID: customerId } = env;
  if (missing.length > 0 || !developerToken || !clientId || !clientSecret || !refreshToken || !customerId)
    return { ok: false, missing };
  return {
    ok: true,
    config: {
      developerToken,
      clientId,
      clientSecret,
      refreshToken,
      customerId,
      loginCustomerId: env.GOOGLE_ADS_LOGIN_CUSTOMER_ID,
      apiUrl: (env.GOOGLE_ADS_API_URL ?? DEFAULT_API_URL).replace(/\/+$/, ""),
      tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL ?? DEFAULT_TOKEN_URL,
    },
  };
}

/** One launch's conversation with Google: the configuration, the secrets to scrub, the abort signal. */
export interface GoogleAdsSession {
  config: GoogleAdsConfig;
  signal: AbortSignal;
  /** Grows with the access token once it is known. */
  secrets: string[];
}

export function openSession(config: GoogleAdsConfig, signal: AbortSignal): GoogleAdsSession {
  return { config, signal, secrets: [config.clientSecret, config.refreshToken, config.developerToken] };
}

/** `text` with every secret of the session replaced (and no longer than MAX_MESSAGE_CHARS). */
export function scrub(session: GoogleAdsSession, text: string): string {
  let out = text;
  for (const secret of session.secrets) if (secret.length > 0) out = out.split(secret).join(REDACTED);
  return out.length > MAX_MESSAGE_CHARS ? `${out.slice(0, MAX_MESSAGE_CHARS)}…` : out;
}

interface Answer {
  status: number;
  json: unknown;
  text: string;
}

async function post(
  session: GoogleAdsSession,
  url: string,
  init: { headers: Record<string, string>; body: string },
  what: string,
): Promise<Answer> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: init.headers,
      body: init.body,
      // A redirect would carry the developer token elsewhere: never followed, answered as a failure.
      redirect: "manual",
      signal: AbortSignal.any([session.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
    });
  } catch (error) {
    throw new Error(
      scrub(session, `${what}: Google did not answer (${error instanceof Error ? error.message : String(error)})`),
    );
  }
  const text = (await readLimitedText(res, MAX_RESPONSE_BYTES).catch(() => null)) ?? "";
  let json: unknown = null;
  try {
    json = text ? (JSON.parse(text) as unknown) : null;
  } catch {
    // Not JSON (a proxy's HTML page): the text is quoted in the error instead.
  }
  return { status: res.status, json, text };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);

/** Throttled, conflicting or failing on Google's side: worth another attempt. */
function isRetryable(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500 || status < 400;
}

/** Exchanges the refresh token for an access token (valid about an hour; one per launch). */
export async function fetchAccessToken(session: GoogleAdsSession): Promise<string> {
  const { clientId, clientSecret, refreshToken, tokenUrl } = session.config;
  const body = new URLSearchParams({
    grant_type: "refresh_token",
    client_id: clientId,
    client_secret: clientSecret,
    refresh_token: refreshToken,
  });
  const answer = await post(
    session,
    tokenUrl,
    { headers: { "content-type": "application/x-www-form-urlencoded" }, body: body.toString() },
    "OAuth token",
  );
  const token = isRecord(answer.json) ? str(answer.json.access_token) : undefined;
  const ok = answer.status >= 200 && answer.status < 300;
  if (ok && token) {
    session.secrets.push(token);
    return token;
  }
  const oauthError = isRecord(answer.json)
    ? [str(answer.json.error), str(answer.json.error_description)].filter(Boolean).join(": ")
    : "";
  const said = oauthError || answer.text.trim().slice(0, 200);
  const detail = `HTTP ${answer.status}${said ? `, ${said}` : ""}`;
  if (ok) throw new Error(scrub(session, "OAuth token: Google answered without an access token"));
  if (!isRetryable(answer.status)) {
    throw new ActionRejected(
      scrub(
        session,
        `Google Ads credentials refused by the OAuth token endpoint (${detail}): check GOOGLE_ADS_CLIENT_ID, GOOGLE_ADS_CLIENT_SECRET and GOOGLE_ADS_REFRESH_TOKEN.`,
      ),
      { httpStatus: answer.status },
    );
  }
  throw new Error(scrub(session, `OAuth token: Google answered ${detail}`));
}

/** Google Ads refused the request; `errorCodes` are Google's (`campaignError.DUPLICATE_CAMPAIGN_NAME`). */
export class GoogleAdsRejected extends ActionRejected {
  constructor(
    message: string,
    readonly errorCodes: string[],
    details: unknown,
  ) {
    super(message, details);
  }
}

interface GoogleAdsErrorItem {
  code: string | undefined;
  message: string | undefined;
  field: string | undefined;
}

/** Google's error: `{error: {code, message, status, details: [{errors: [{errorCode, message, location}], requestId}]}}`. */
function describeGoogleAdsError(json: unknown): {
  message: string | undefined;
  status: string | undefined;
  requestId: string | undefined;
  errors: GoogleAdsErrorItem[];
} {
  const error = isRecord(json) && isRecord(json.error) ? json.error : {};
  const details = Array.isArray(error.details) ? error.details.filter(isRecord) : [];
  const errors = details
    .flatMap((d) => (Array.isArray(d.errors) ? d.errors.filter(isRecord) : []))
    .map((e): GoogleAdsErrorItem => {
      const code = isRecord(e.errorCode)
        ? Object.entries(e.errorCode).map(([kind, value]) => `${kind}.${String(value)}`)[0]
        : undefined;
      const path =
        isRecord(e.location) && Array.isArray(e.location.fieldPathElements)
          ? e.location.fieldPathElements.filter(isRecord)
          : [];
      const field =
        path.map((p) => `${String(p.fieldName)}${typeof p.index === "number" ? `[${p.index}]` : ""}`).join(".") ||
        undefined;
      return { code, message: str(e.message), field };
    });
  const requestId = details.map((d) => str(d.requestId)).find(Boolean);
  return { message: str(error.message), status: str(error.status), requestId, errors };
}

/** POSTs to `/<version>/customers/<id>/googleAds:<method>`; a non-2xx answer throws, classified. */
async function callGoogleAds(
  session: GoogleAdsSession,
  accessToken: string,
  method: "search" | "mutate",
  body: unknown,
): Promise<unknown> {
  const { apiUrl, customerId, developerToken, loginCustomerId } = session.config;
  const headers: Record<string, string> = {
    authorization: `Bearer ${accessToken}`,
    "developer-token": developerToken,
    "content-type": "application/json",
  };
  if (loginCustomerId) headers["login-customer-id"] = loginCustomerId;
  const url = `${apiUrl}/${GOOGLE_ADS_API_VERSION}/customers/${customerId}/googleAds:${method}`;
  const answer = await post(session, url, { headers, body: JSON.stringify(body) }, `googleAds:${method}`);
  if (answer.status >= 200 && answer.status < 300) return answer.json;

  const described = describeGoogleAdsError(answer.json);
  const specifics = described.errors.map((e) =>
    [e.message, e.code && `(${e.code}${e.field ? ` at ${e.field}` : ""})`].filter(Boolean).join(" "),
  );
  const said = [described.message, ...specifics].filter(Boolean).join(" ") || answer.text.trim().slice(0, 200);
  const message = `Google Ads ${method} answered HTTP ${answer.status}${described.status ? ` ${described.status}` : ""}${said ? `: ${said}` : ""}`;
  if (isRetryable(answer.status)) throw new Error(scrub(session, message));
  const details = {
    httpStatus: answer.status,
    status: described.status,
    requestId: described.requestId,
    errors: described.errors.map((e) => ({
      code: e.code,
      field: e.field,
      message: e.message && scrub(session, e.message),
    })),
  };
  const codes = described.errors.map((e) => e.code).filter((code): code is string => code !== undefined);
  throw new GoogleAdsRejected(scrub(session, message), codes, details);
}

/** GAQL string literal: backslash and single quote escaped with a backslash. */
export function gaqlString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * The campaign of this exact name, unless removed (Google lets a removed campaign's name be
 * used again, and so do we), or null.
 */
export async function findCampaignByName(
  session: GoogleAdsSession,
  accessToken: string,
  name: string,
): Promise<string | null> {
  const query = `SELECT campaign.resource_name FROM campaign WHERE campaign.name = ${gaqlString(name)} AND campaign.status != 'REMOVED'`;
  const json = await callGoogleAds(session, accessToken, "search", { query });
  const rows = isRecord(json) && Array.isArray(json.results) ? json.results : [];
  const first: unknown = rows[0];
  if (first === undefined) return null;
  const resourceName = isRecord(first) && isRecord(first.campaign) ? str(first.campaign.resourceName) : undefined;
  if (!resourceName) throw new Error("googleAds:search answered a row without campaign.resourceName");
  return resourceName;
}

/**
 * Sends the mutate body and answers the created resource names, in operation order. Each
 * response entry holds one `<kind>Result: {resourceName}`; the campaign's is `campaignResult`.
 */
export async function mutate(
  session: GoogleAdsSession,
  accessToken: string,
  body: unknown,
): Promise<{ campaignResourceName: string; resourceNames: string[] }> {
  const json = await callGoogleAds(session, accessToken, "mutate", body);
  const responses =
    isRecord(json) && Array.isArray(json.mutateOperationResponses)
      ? json.mutateOperationResponses.filter(isRecord)
      : [];
  const resourceNames: string[] = [];
  let campaignResourceName: string | undefined;
  for (const response of responses) {
    for (const [kind, result] of Object.entries(response)) {
      const name = isRecord(result) ? str(result.resourceName) : undefined;
      if (!name) continue;
      resourceNames.push(name);
      if (kind === "campaignResult") campaignResourceName = name;
    }
  }
  // Google answered 2xx, so the campaign exists: a retry finds it by name and answers it.
  if (!campaignResourceName) throw new Error("googleAds:mutate answered without the campaign's resource name");
  return { campaignResourceName, resourceNames };
}
