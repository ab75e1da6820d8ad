/**
 * Configuration: one zod schema over `process.env`, read lazily (never at module scope),
 * because serverless runtimes may inject the environment per request.
 *
 * Production is `VERCEL` set or `APP_ENV=production`. There every secret of REQUIRED_IN_PRODUCTION
 * must be set, and a missing one stops the start with a message naming it. Elsewhere a missing
 * secret gets a random development value kept in `<DATA_DIR>/secrets.json` (mode 0600), so the
 * platform starts with no configuration at all and keeps the same secrets across restarts.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

/** A Google Ads customer id: 10 digits, dashes allowed (`123-456-7890`), kept as digits only. */
const googleAdsCustomerId = z
  .string()
  .trim()
  .regex(/^(?:\d-?){9}\d$/, "10 digits, dashes allowed (123-456-7890)")
  .transform((v) => v.replaceAll("-", ""))
  .optional();

/**
 * The Shopify shops allowed to deliver webhooks: `<shop>.myshopify.com` names, comma-separated,
 * kept lowercased. A malformed entry is a configuration error (refused at start in production).
 */
const shopDomainList = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const domains = (v ?? "")
      .split(",")
      .map((d) => d.trim().toLowerCase())
      .filter((d) => d.length > 0);
    for (const d of domains) {
      if (!/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(d))
        ctx.addIssue({ code: "custom", message: `"${d}" is not a <shop>.myshopify.com domain` });
    }
    return domains.length > 0 ? domains : undefined;
  });

/** A retention in days: fractions allowed (0.5 = 12 h), 0 keeps forever, at most 100 years. */
const retentionDays = (days: number) => z.coerce.number().min(0).max(36_500).default(days);

const envSchema = z.object({
  NODE_ENV: optionalString,
  APP_ENV: optionalString,
  VERCEL: optionalString,
  DATA_DIR: optionalString,
  DATABASE_URL: optionalString,
  /** Forces a driver (`pglite`, `pg`, `neon`) instead of guessing it from DATABASE_URL. */
  DATABASE_DRIVER: z.enum(["pglite", "pg", "neon"]).optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  ADMIN_API_KEY: optionalString,
  CRON_SECRET: optionalString,
  INTER_AGENT_SECRET: optionalString,
  SESSION_SECRET: optionalString,
  ENCRYPTION_KEYS: optionalString,
  SHOPIFY_WEBHOOK_SECRET: optionalString,
  /** The shops whose webhooks are accepted (src/integrations/shopify.ts); required in production with SHOPIFY_WEBHOOK_SECRET. */
  SHOPIFY_SHOP_DOMAINS: shopDomainList,
  STRIPE_SECRET_KEY: optionalString,
  STRIPE_WEBHOOK_SECRET: optionalString,
  /** Stripe's API origin (default https://api.stripe.com): for stripe-mock or a test double. */
  STRIPE_API_URL: optionalString,
  /**
   * `1`: orders are taken without payment (the run starts at once; the order form says so). A
   * production server (`next start`, Vercel, APP_ENV=production) refuses to start without both
   * Stripe keys unless this is `1` (assertPaymentConfig). `npm start` sets it in local
   * embedded-database mode.
   */
  ORDERS_TEST_MODE: z.enum(["0", "1"]).optional(),
  /**
   * Self-hosted: how many reverse proxies of yours append the address they saw to
   * X-Forwarded-For (default 0: the address `next start` saw on its socket). The client's address
   * is the entry that many places from the right; anything left of it is the client's own claim.
   * Ignored on Vercel, whose edge sets the address (src/http/client-address.ts).
   */
  TRUSTED_PROXY_COUNT: z.coerce.number().int().min(0).max(20).default(0),
  SMTP_URL: optionalString,
  /** Sender of outgoing email (default no-reply@<host of PUBLIC_BASE_URL>). */
  SMTP_FROM: optionalString,
  SLACK_WEBHOOK_URL: optionalString,
  ALERT_EMAIL: optionalString,
  HTTP_STEP_ALLOWED_HOSTS: optionalString,
  SUPPLIER_API_URL: optionalString,
  OPENAI_API_KEY: optionalString,
  ANTHROPIC_API_KEY: optionalString,
  /** Google Ads API developer token; with the four below set, ads.launch_campaign creates campaigns (paused) instead of a dry run. */
  GOOGLE_ADS_DEVELOPER_TOKEN: optionalString,
  /** OAuth client id that the Google Ads refresh token was issued to. */
  GOOGLE_ADS_CLIENT_ID: optionalString,
  /** OAuth client secret of GOOGLE_ADS_CLIENT_ID. */
  GOOGLE_ADS_CLIENT_SECRET: optionalString,
  /** OAuth refresh token (scope https://www.googleapis.com/auth/adwords), exchanged for an access token at each launch. */
  GOOGLE_ADS_REFRESH_TOKEN: optionalString,
  /** The Google Ads account campaigns are created in: 10 digits, dashes allowed. */
  GOOGLE_ADS_CUSTOMER_ID: googleAdsCustomerId,
  /** The manager account the access goes through, when it does (sent as the login-customer-id header). */
  GOOGLE_ADS_LOGIN_CUSTOMER_ID: googleAdsCustomerId,
  /** Base URL of the Google Ads API (default https://googleads.googleapis.com; tests point it at a fake). */
  GOOGLE_ADS_API_URL: optionalString,
  /** Google's OAuth token endpoint (default https://oauth2.googleapis.com/token; tests point it at a fake). */
  GOOGLE_OAUTH_TOKEN_URL: optionalString,
  /** Vercel Blob read-write token: deploy_site also uploads each site to Blob (its CDN-served public copy). */
  BLOB_READ_WRITE_TOKEN: optionalString,
  PUBLIC_BASE_URL: optionalString,
  /** Vercel Deployment Protection's "Protection Bypass for Automation" secret: sent as `x-vercel-protection-bypass` on every call the app makes to itself (src/integrations/self-call.ts). */
  VERCEL_AUTOMATION_BYPASS_SECRET: optionalString,
  /** Set by Vercel: `production`, `preview` or `development` (see deploymentKind()). */
  VERCEL_ENV: optionalString,
  /** Set by Vercel: this deployment's own host (`<project>-<hash>-<team>.vercel.app`, no scheme); the base URL of previews. */
  VERCEL_URL: optionalString,
  /** Set by Vercel on every deployment: the project's production host (no scheme); the base URL in production unless PUBLIC_BASE_URL is set, never used by a preview. */
  VERCEL_PROJECT_PRODUCTION_URL: optionalString,
  /** How the engine calls agents: `http` (signed POST to the agent's route; the default on Vercel) or `inline` (in process; the default elsewhere). */
  AGENT_TRANSPORT: z.enum(["http", "inline"]).optional(),
  /** Circuit breaker per agent: opens after this many consecutive failures (default 5)... */
  AGENT_BREAKER_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
  /** ...or when the failure rate over the window passes this (default 0.5, with at least 10 calls in the window)... */
  AGENT_BREAKER_ERROR_RATE: z.coerce.number().gt(0).max(1).default(0.5),
  AGENT_BREAKER_WINDOW_MS: z.coerce.number().int().min(1000).default(60_000),
  /** ...and stays open this long before letting one probe through (default 30 s). */
  AGENT_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(100).default(30_000),
  /** Rate limits per agent, e.g. `design-ia=10/s,ads=100/m` (token buckets in Postgres); none by default. */
  AGENT_RATE_LIMITS: optionalString,
  /** Largest concurrency per agent, e.g. `design-ia=8,ads=4`: the gateway's AIMD throttle lowers it under stress (none by default). */
  AGENT_CONCURRENCY: optionalString,
  /** `0` turns every action's adaptive timeout off (each uses its static timeout); default on for the actions that declare one. */
  AGENT_ADAPTIVE_TIMEOUTS: z.enum(["0", "1"]).optional(),
  /** Largest accepted JSON body, in bytes (default 1 MiB). */
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /** How long raw metric points are kept, in hours (default 24); older ones live on as per-minute rollups. */
  METRICS_RAW_RETENTION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(24),
  /** How long per-minute metric rollups are kept, in days (default 30). */
  METRICS_ROLLUP_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Retention, in days (fractions allowed; 0 keeps forever): src/operations/retention/policy.ts says why each default. */
  RETENTION_RUNS_DAYS: retentionDays(30),
  RETENTION_EVENTS_DAYS: retentionDays(30),
  RETENTION_EVENT_DELIVERIES_DAYS: retentionDays(30),
  RETENTION_OUTBOX_DAYS: retentionDays(30),
  RETENTION_AGENT_CALLS_DAYS: retentionDays(1),
  /** Audit entries: 7 years (2,557 days, leap days included) by default. */
  RETENTION_AUDIT_DAYS: retentionDays(2557),
  /** Wall time one retention pass may spend deleting, per process and minute (default 2 s). */
  RETENTION_PASS_BUDGET_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  /** Budget of one tick of the tick route (default and cap: the route's maxDuration in vercel.json less 10 s). */
  TICK_BUDGET_MS: z.coerce.number().int().positive().optional(),
  /** Route ticks one process runs at once; a kick beyond them is coalesced into the running ones (default 4). */
  TICK_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
  /** Steps one route tick claims at once (default 100). */
  TICK_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(100),
  /** Most items one `for_each` fans out over (default 1000, at most 100000): one step row per item. */
  FOR_EACH_MAX_ITEMS: z.coerce.number().int().min(1).max(100_000).default(1_000),
  /** How far ahead a route tick carries timers (sleeps, backoffs) itself instead of leaving them to the cron (default 60 s). */
  TICK_CARRY_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(15 * 60_000)
    .default(60_000),
  /**
   * The Neon driver through a WebSocket-to-TCP relay instead of Neon's proxy, e.g.
   * `127.0.0.1:4444/v2?address={host}:{port}` (local development and the rehearsal; plain ws, no pipelining).
   */
  NEON_WS_PROXY: optionalString,
});

export type Env = z.infer<typeof envSchema>;

/**
 * Variables read outside `envSchema`, by the module that owns them (supplier credentials and the
 * model override are read where they are used, the commit by the health report, the worker's
 * settings by `npm run worker`). Listed here so `.env.example` and the README stay complete:
 * tests/unit/env-example.test.ts holds the three in step.
 */
export const ENV_READ_ELSEWHERE = [
  "SUPPLIER_APP_KEY",
  "SUPPLIER_APP_SECRET",
  "SUPPLIER_ACCESS_TOKEN",
  "LLM_MODEL",
  "VERCEL_GIT_COMMIT_SHA",
  "WORKER_TICK_BUDGET_MS",
  "WORKER_BATCH_SIZE",
  "WORKER_SYNC_WORKFLOWS",
  // The backups' settings (src/backups/config.ts).
  "BACKUP_KEY",
  "BACKUP_DIR",
  "BACKUP_KEEP_COUNT",
  "BACKUP_KEEP_DAYS",
  "BACKUP_CHUNK_ROWS",
  "BACKUP_S3_BUCKET",
  "BACKUP_S3_PREFIX",
  "BACKUP_S3_ENDPOINT",
  "BACKUP_S3_REGION",
  "BACKUP_S3_FORCE_PATH_STYLE",
  "BACKUP_S3_ACCESS_KEY_ID",
  "BACKUP_S3_SECRET_ACCESS_KEY",
  "BACKUP_S3_KEEP_COUNT",
  "BACKUP_S3_KEEP_DAYS",
  // The Vercel Blob destination (src/backups/blob.ts) and the drill's scratch database (src/backups/scratch.ts).
  "BACKUP_BLOB_READ_WRITE_TOKEN",
  "BACKUP_BLOB_PREFIX",
  "BACKUP_BLOB_KEEP_COUNT",
  "BACKUP_BLOB_KEEP_DAYS",
  "BACKUP_DRILL_DATABASE_URL",
] as const;

/** Set by the runtime, never by an operator: not in `.env.example`. */
export const ENV_SET_BY_RUNTIME = [
  "NODE_ENV",
  "VERCEL",
  "VERCEL_ENV",
  "VERCEL_URL",
  "VERCEL_PROJECT_PRODUCTION_URL",
  "VERCEL_GIT_COMMIT_SHA",
] as const;

/** Every variable the platform reads. */
export function envVariableNames(): string[] {
  return [...Object.keys(envSchema.shape), ...ENV_READ_ELSEWHERE];
}

/** Secrets the platform generates locally and demands in production. */
export const GENERATED_SECRETS = ["CRON_SECRET", "INTER_AGENT_SECRET", "SESSION_SECRET", "ENCRYPTION_KEYS"] as const;
export type GeneratedSecret = (typeof GENERATED_SECRETS)[number];

/** In production these must be set; the platform refuses to start without them. */
export const REQUIRED_IN_PRODUCTION = ["DATABASE_URL", "ADMIN_API_KEY", ...GENERATED_SECRETS] as const;

export class ConfigError extends Error {
  readonly code = "config_error" as const;
}

export function isProduction(source: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(source.VERCEL?.trim()) || source.APP_ENV?.trim() === "production";
}

export type DeploymentKind = "local" | "production" | "preview" | "self-hosted";

/**
 * What kind of deployment this process is.
 * - `production`: Vercel's production deployment (`VERCEL` set, `VERCEL_ENV` unset or `production`).
 * - `preview`: any other Vercel deployment (`VERCEL_ENV=preview`, or `development` under `vercel dev`).
 * - `self-hosted`: `APP_ENV=production` outside Vercel.
 * - `local`: everything else (`npm start`, `npm run dev`, tests).
 *
 * Decision on previews: a preview is production-like (isProduction() is true: the required
 * secrets, the http agent transport, the tick route, no resident worker) but it must live on
 * its own database (a Neon branch per preview through the Neon integration; never production's
 * DATABASE_URL) and it must never call production. Vercel runs no crons on previews, so a
 * preview's work is carried by self-continuation alone: its kicks go to its own deployment URL
 * (`https://$VERCEL_URL`, with the protection bypass header), which is why publicBaseUrl() never
 * resolves to VERCEL_PROJECT_PRODUCTION_URL on a preview, and ignores a PUBLIC_BASE_URL that
 * names the production host (a variable set "for all environments" by mistake).
 */
export function deploymentKind(source: NodeJS.ProcessEnv = process.env): DeploymentKind {
  if (source.VERCEL?.trim()) {
    const vercelEnv = source.VERCEL_ENV?.trim();
    return !vercelEnv || vercelEnv === "production" ? "production" : "preview";
  }
  return source.APP_ENV?.trim() === "production" ? "self-hosted" : "local";
}

/** Parses the environment. Throws ConfigError naming each invalid variable. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  // An empty value (`FOO=` copied from .env.example) means "not set".
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v.trim() !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new ConfigError(`Invalid configuration: ${names}`);
  }
  return parsed.data;
}

/** Where local state lives: the embedded database, generated secrets, the admin key. */
export function dataDir(source: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(/*turbopackIgnore: true*/ source.DATA_DIR?.trim() || ".data");
}

/**
 * Fails with one clear message when production is missing a required variable.
 * Called at server start (instrumentation) and by the migrate command.
 */
export function assertProductionConfig(source: NodeJS.ProcessEnv = process.env): void {
  if (!isProduction(source)) return;
  const env = readEnv(source);
  const missing: string[] = REQUIRED_IN_PRODUCTION.filter((name) => !env[name]);
  // Shopify is optional, but once its secret is set, the shops it may speak for must be named:
  // the secret is the app's, shared by every shop that installs it (issue 15).
  if (env.SHOPIFY_WEBHOOK_SECRET && !env.SHOPIFY_SHOP_DOMAINS)
    missing.push("SHOPIFY_SHOP_DOMAINS (required with SHOPIFY_WEBHOOK_SECRET)");
  if (missing.length > 0) {
    throw new ConfigError(
      `Missing required configuration in production: ${missing.join(", ")}. ` +
        `Set ${missing.length === 1 ? "it" : "them"} in the environment (see .env.example).`,
    );
  }
}

/**
 * A server that takes real orders: production (isProduction) or any `next start`
 * (NODE_ENV=production). Decision: `next start` counts even without APP_ENV, because a
 * self-hosted deployment that forgot APP_ENV=production must not give sites away either; local
 * `npm start` says ORDERS_TEST_MODE=1 explicitly (scripts/start.mjs), as do the tests and the
 * rehearsal.
 */
function servesRealOrders(source: NodeJS.ProcessEnv): boolean {
  return isProduction(source) || source.NODE_ENV?.trim() === "production";
}

/**
 * True when orders are taken without payment: ORDERS_TEST_MODE=1, or no STRIPE_SECRET_KEY
 * outside a server that takes real orders (`npm run dev`, tests). A misconfigured production
 * server never reaches here (assertPaymentConfig refuses to start), and should one run anyway,
 * this answers false, so the order asks Stripe and fails rather than giving the site away.
 */
export function ordersTestMode(source: NodeJS.ProcessEnv = process.env): boolean {
  const env = readEnv(source);
  if (env.ORDERS_TEST_MODE === "1") return true;
  return !env.STRIPE_SECRET_KEY && !servesRealOrders(source);
}

/**
 * Refuses a production server whose payment setup would give sites away: no STRIPE_SECRET_KEY
 * (every order would run in test mode: free sites, model spend, emails to any address), or the
 * key without STRIPE_WEBHOOK_SECRET (clients would pay and their run would never start). Both
 * are allowed only with ORDERS_TEST_MODE=1, which then takes every order without payment.
 */
export function assertPaymentConfig(source: NodeJS.ProcessEnv = process.env): void {
  if (!servesRealOrders(source)) return;
  const env = readEnv(source);
  if (env.ORDERS_TEST_MODE === "1") return;
  const optOut = "or set ORDERS_TEST_MODE=1 to take orders without payment on purpose (see .env.example).";
  if (!env.STRIPE_SECRET_KEY) {
    throw new ConfigError(
      `STRIPE_SECRET_KEY is not set: this production server would take every order without payment. Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, ${optOut}`,
    );
  }
  if (!env.STRIPE_WEBHOOK_SECRET) {
    throw new ConfigError(
      `STRIPE_WEBHOOK_SECRET is not set: clients would pay and their site would never start (the run starts from the verified webhook). Set it, ${optOut}`,
    );
  }
}

function generateSecret(name: GeneratedSecret): string {
  const value = randomBytes(32).toString("base64url");
  // ENCRYPTION_KEYS is a versioned list: "<version>:<base64 32-byte key>[,...]".
  return name === "ENCRYPTION_KEYS" ? `1:${randomBytes(32).toString("base64")}` : value;
}

const devSecretsCache = new Map<string, Record<string, string>>();

function loadDevSecrets(dir: string): Record<string, string> {
  const cached = devSecretsCache.get(dir);
  if (cached) return cached;
  const file = path.join(dir, "secrets.json");
  let stored: Record<string, string> = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
  const missing = GENERATED_SECRETS.filter((name) => !stored[name]);
  if (missing.length > 0) {
    for (const name of missing) stored[name] = generateSecret(name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2) + "\n", { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  devSecretsCache.set(dir, stored);
  return stored;
}

/**
 * The value of a secret: from the environment, or (outside production) the generated
 * development value kept under DATA_DIR. Never returns an empty string.
 */
export function getSecret(name: GeneratedSecret, source: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = source[name]?.trim();
  if (fromEnv) return fromEnv;
  if (isProduction(source)) throw new ConfigError(`Missing required configuration in production: ${name}.`);
  const value = loadDevSecrets(dataDir(source))[name];
  if (!value) throw new ConfigError(`Could not generate a development value for ${name}.`);
  return value;
}

/** A host variable as Vercel sets it (`app.example.com`), tolerating a scheme or a trailing slash. */
function hostOf(value: string | undefined): string | undefined {
  const host = value
    ?.trim()
    .replace(/^https?:\/\//i, "")
    .replace(/\/+$/, "");
  return host || undefined;
}

/**
 * The platform's public origin, for links we publish and calls to our own routes, in this order:
 * 1. `PUBLIC_BASE_URL` (on a preview: unless it names the production host);
 * 2. `https://$VERCEL_PROJECT_PRODUCTION_URL`, in production only (a preview must not call production,
 *    nor a local process);
 * 3. `https://$VERCEL_URL` (this deployment's own address; behind Deployment Protection, which
 *    self-calls pass with VERCEL_AUTOMATION_BYPASS_SECRET, src/integrations/self-call.ts);
 * 4. outside production, `http://localhost:$PORT`.
 * Undefined only in production without any of them. The variables are read directly, not
 * through readEnv(): an unrelated broken variable must not break links.
 */
export function publicBaseUrl(source: NodeJS.ProcessEnv = process.env): string | undefined {
  const kind = deploymentKind(source);
  const productionHost = hostOf(source.VERCEL_PROJECT_PRODUCTION_URL);
  const configured = source.PUBLIC_BASE_URL?.trim().replace(/\/+$/, "");
  const namesProduction =
    productionHost !== undefined &&
    configured !== undefined &&
    configuredHost(configured) === productionHost.toLowerCase();
  if (configured && !(kind === "preview" && namesProduction)) return configured;
  // Only a production deployment may call the production host (a local process never does either).
  if (productionHost && (kind === "production" || kind === "self-hosted")) return `https://${productionHost}`;
  const deploymentHost = hostOf(source.VERCEL_URL);
  if (deploymentHost) return `https://${deploymentHost}`;
  if (isProduction(source)) return undefined;
  const port = Number(source.PORT?.trim() || 3000);
  return `http://localhost:${Number.isInteger(port) && port > 0 && port < 65536 ? port : 3000}`;
}

function configuredHost(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}
