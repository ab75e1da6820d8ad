/**
 * The checks an agent's probe is made of (see probe.ts for the rules they follow): cheap, safe
 * (no money spent, nothing sent) and silent about secrets (details name variables and error
 * codes, never a value).
 *
 * Per provider, what is cheap enough to check on every probe:
 * - database: a `select 1` round trip;
 * - smtp: nodemailer's `verify()` (connect, EHLO, STARTTLS and login when the URL has them; no mail);
 * - supplier: one unsigned GET of its API endpoint: any answer below 500 proves it reachable
 *   (a signed call would be a real API call, counted against the app's quota);
 * - language model, Vercel Blob, Slack, Google Ads: their configuration only (a model call costs
 *   tokens, a Blob listing is a billed operation, a Slack post is a message, a Google Ads call
 *   needs an OAuth exchange per probe);
 * - base URL: that verify_deployment has an origin to fetch the published site from.
 */
import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import nodemailer from "nodemailer";
import { ConfigError, publicBaseUrl, readEnv } from "@/env";
import { outboundFetch, OutboundRefused } from "@/integrations/outbound";
import { supplierConfig, syncEndpoint } from "@/integrations/supplier/aliexpress";
import { log } from "@/observability/log";
import { GOOGLE_ADS_REQUIRED, googleAdsConfig } from "./ads/google-ads-api";
import { CHECK_TIMEOUT_MS, type CheckResult, type HealthCheck } from "./probe";

const OK: CheckResult = { status: "ok" };
const skipped = (detail: string): CheckResult => ({ status: "skipped", detail });
const failed = (detail: string): CheckResult => ({ status: "degraded", detail });

/** A digest of configuration values, so a cache key never holds a secret in clear. */
function digest(...values: (string | undefined)[]): string {
  return createHash("sha256")
    .update(values.map((v) => v ?? "").join("\u0000"))
    .digest("hex");
}

/** Blank means unset, as in env.ts. Read directly: an unrelated invalid variable must not fail every check. */
function setting(name: string): string | undefined {
  return process.env[name]?.trim() || undefined;
}

/** The error codes of a network failure (`ESOCKET`, `ECONNREFUSED`…), never its message (it may quote a host or a reply). */
function errorCodes(error: unknown): string {
  const codes = new Set<string>();
  for (
    let e: unknown = error, depth = 0;
    e && typeof e === "object" && depth < 4;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z][A-Z0-9_]{1,30}$/.test(code)) codes.add(code);
    const message = (e as { message?: unknown }).message;
    if (typeof message === "string") for (const m of message.matchAll(/\b(E[A-Z]{3,20})\b/g)) codes.add(m[1]!);
  }
  return codes.size === 0 ? "" : ` (${[...codes].join(", ")})`;
}

export const databaseCheck: HealthCheck = {
  name: "database",
  failure: "down",
  async run({ db }) {
    try {
      await db.execute(sql`select 1`);
      return OK;
    } catch (error) {
      log.warn("agent health check: the database did not answer", { error });
      return { status: "down", detail: "the database did not answer" };
    }
  },
};

/** The selected language model's key (Anthropic first, as src/integrations/llm.ts selects it). */
export const languageModelCheck: HealthCheck = {
  name: "language_model",
  failure: "degraded",
  async run() {
    const anthropic = setting("ANTHROPIC_API_KEY");
    const openai = setting("OPENAI_API_KEY");
    if (!anthropic && !openai) return skipped("no model configured: the copy comes from the templates");
    const [name, key, shape] = anthropic
      ? (["ANTHROPIC_API_KEY", anthropic, /^sk-ant-[A-Za-z0-9_-]{20,}$/] as const)
      : (["OPENAI_API_KEY", openai!, /^sk-[A-Za-z0-9_-]{20,}$/] as const);
    return shape.test(key)
      ? OK
      : failed(`${name} is not shaped like a key of its provider (the copy falls back to the templates)`);
  },
};

export const smtpCheck: HealthCheck = {
  name: "smtp",
  failure: "degraded",
  cacheKey: () => digest(setting("SMTP_URL")),
  async run({ signal }) {
    const url = setting("SMTP_URL");
    if (!url) return skipped("not configured (SMTP_URL): email stays in the outbox");
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return failed("SMTP_URL is not a valid URL");
    }
    if (parsed.protocol !== "smtp:" && parsed.protocol !== "smtps:")
      return failed("SMTP_URL must start with smtp:// or smtps://");
    const budget = CHECK_TIMEOUT_MS - 500;
    const transport = nodemailer.createTransport({
      url,
      connectionTimeout: budget,
      greetingTimeout: budget,
      socketTimeout: budget,
    });
    const stop = () => transport.close();
    signal.addEventListener("abort", stop, { once: true });
    try {
      await transport.verify();
      return OK;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === "EAUTH") return failed("the SMTP server refused the login (EAUTH)");
      return failed(`the SMTP server could not be reached${errorCodes(error)}`);
    } finally {
      signal.removeEventListener("abort", stop);
      transport.close();
    }
  },
};

export const slackCheck: HealthCheck = {
  name: "slack",
  failure: "degraded",
  async run() {
    const url = setting("SLACK_WEBHOOK_URL");
    if (!url) return skipped("not configured (SLACK_WEBHOOK_URL)");
    try {
      const { protocol } = new URL(url);
      return protocol === "https:" || protocol === "http:" ? OK : failed("SLACK_WEBHOOK_URL is not an http(s) URL");
    } catch {
      return failed("SLACK_WEBHOOK_URL is not a valid URL");
    }
  },
};

/** The shape src/sites/blob.ts scrubs from messages: `vercel_blob_rw_<store>_<secret>`. */
const BLOB_TOKEN = /^vercel_blob_rw_[A-Za-z0-9]+_[A-Za-z0-9]+$/;

export const blobCheck: HealthCheck = {
  name: "blob",
  failure: "degraded",
  async run() {
    const token = setting("BLOB_READ_WRITE_TOKEN");
    if (!token) return skipped("not configured (BLOB_READ_WRITE_TOKEN): sites are served from the database only");
    return BLOB_TOKEN.test(token)
      ? OK
      : failed("BLOB_READ_WRITE_TOKEN is not shaped like a Vercel Blob read-write token");
  },
};

export const baseUrlCheck: HealthCheck = {
  name: "base_url",
  failure: "degraded",
  async run() {
    const base = publicBaseUrl();
    if (!base) return failed("no base URL (PUBLIC_BASE_URL): published sites cannot be verified");
    try {
      new URL(base);
      return OK;
    } catch {
      return failed("PUBLIC_BASE_URL is not a valid URL");
    }
  },
};

export const googleAdsCheck: HealthCheck = {
  name: "google_ads",
  failure: "degraded",
  async run() {
    if (!GOOGLE_ADS_REQUIRED.some((name) => setting(name))) {
      return skipped("not configured: launch_campaign answers dry runs");
    }
    let env;
    try {
      env = readEnv();
    } catch (error) {
      // ConfigError names each invalid variable and the rule it breaks, never its value.
      if (error instanceof ConfigError) return failed(error.message);
      throw error;
    }
    const config = googleAdsConfig(env);
    if (!config.ok)
      return failed(`${config.missing.join(", ")} not set: a launch needs all of ${GOOGLE_ADS_REQUIRED.join(", ")}`);
    return OK;
  },
};

export const supplierCheck: HealthCheck = {
  name: "supplier",
  failure: "degraded",
  cacheKey: () =>
    digest(
      setting("SUPPLIER_API_URL"),
      setting("SUPPLIER_APP_KEY"),
      setting("SUPPLIER_APP_SECRET"),
      setting("APP_ENV"),
      setting("VERCEL"),
      setting("HTTP_STEP_ALLOWED_HOSTS"),
    ),
  async run({ signal }) {
    let config;
    try {
      config = supplierConfig();
    } catch (error) {
      if (error instanceof ConfigError) return failed(error.message);
      throw error;
    }
    if (!config) return skipped("not configured (SUPPLIER_API_URL)");
    // The local simulator is what `npm start` runs beside the app; it is not a configured provider.
    if (config.simulated) return skipped("the local simulator (SUPPLIER_API_URL not set)");
    try {
      // A configured supplier is a third party: probed under the outbound policy, like the calls themselves.
      const res = await outboundFetch(syncEndpoint(config.apiUrl), { method: "GET", signal });
      await res.body?.cancel();
      return res.status < 500 ? OK : failed(`the supplier API answered ${res.status}`);
    } catch (error) {
      if (error instanceof OutboundRefused) return failed(`the supplier API URL is refused: ${error.message}`);
      return failed(`the supplier API could not be reached${errorCodes(error)}`);
    }
  },
};
