/**
 * Structured logs: one JSON object per line on stdout (stderr for errors), which is what
 * Vercel's log drains and `npm start` users both read well.
 *
 * Secrets never reach the logs: every line passes through `redact`, which replaces the values
 * of the configured secrets, anything shaped like one of our API keys, and the values of
 * fields whose name says they hold a credential.
 */
import { GENERATED_SECRETS, getSecret, isProduction, readEnv } from "@/env";

type Level = "debug" | "info" | "warn" | "error";
const LEVELS: Record<Level | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

// `token$`, not `token`: `promptTokens` or `maxTokens` are counts worth keeping.
const SECRET_FIELD = /authorization|cookie|secret|password|passwd|token$|api[-_]?key|signature|^key$/i;
const API_KEY_SHAPE = /aok_[A-Za-z0-9_-]{20,}/g;
const REDACTED = "[redacted]";

/** The secret values configured right now (env or generated), longest first. */
function secretValues(): string[] {
  const env = process.env;
  const values = [
    env.ADMIN_API_KEY,
    env.SHOPIFY_WEBHOOK_SECRET,
    env.STRIPE_SECRET_KEY,
    env.STRIPE_WEBHOOK_SECRET,
    env.SMTP_URL,
    env.SLACK_WEBHOOK_URL,
    env.OPENAI_API_KEY,
    env.ANTHROPIC_API_KEY,
    env.GOOGLE_ADS_DEVELOPER_TOKEN,
    env.GOOGLE_ADS_CLIENT_SECRET,
    env.GOOGLE_ADS_REFRESH_TOKEN,
    env.BLOB_READ_WRITE_TOKEN,
    env.VERCEL_AUTOMATION_BYPASS_SECRET,
  ];
  for (const name of GENERATED_SECRETS) {
    try {
      values.push(isProduction() ? env[name] : getSecret(name));
    } catch {
      // A missing production secret is reported by the config check, not here.
    }
  }
  return values.filter((v): v is string => typeof v === "string" && v.length >= 8).sort((a, b) => b.length - a.length);
}

function redactString(text: string, secrets: string[]): string {
  let out = text.replace(API_KEY_SHAPE, REDACTED);
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/**
 * An error as a plain object, with its cause chain. A failed Drizzle query carries its bound
 * parameters in the message; those can be personal data or credentials, so only the SQL text
 * is kept.
 */
function describeError(error: Error): Record<string, unknown> {
  const { query, params, code, cause } = error as Error & { query?: unknown; params?: unknown; code?: unknown };
  const isQueryError = typeof query === "string" && Array.isArray(params);
  return {
    name: error.name,
    message: isQueryError ? `Failed query: ${query}` : error.message,
    code,
    stack: isQueryError ? undefined : error.stack,
    cause: cause instanceof Error ? describeError(cause) : cause,
  };
}

/** Returns a copy of `value` safe to log. */
export function redact(value: unknown, secrets: string[] = secretValues(), depth = 0): unknown {
  if (typeof value === "string") return redactString(value, secrets);
  if (value instanceof Error) return redact(describeError(value), secrets, depth);
  if (value === null || typeof value !== "object") return value;
  // Beyond this depth nothing is shown: returning the raw value would leak whatever it holds.
  if (depth > 6) return "[truncated]";
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return redact(toJSON.call(value) as unknown, secrets, depth + 1);
  if (Array.isArray(value)) return value.map((v) => redact(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) && v != null ? REDACTED : redact(v, secrets, depth + 1);
  return out;
}

function threshold(): number {
  try {
    return LEVELS[readEnv().LOG_LEVEL];
  } catch {
    return LEVELS.info;
  }
}

function write(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (LEVELS[level] < threshold()) return;
  let line: string;
  try {
    line = JSON.stringify(redact({ level, time: new Date().toISOString(), msg, ...fields }));
  } catch {
    line = JSON.stringify({ level, time: new Date().toISOString(), msg: redact(msg), note: "fields could not be serialised" });
  }
  if (level === "error" || level === "warn") process.stderr.write(line + "\n");
  else process.stdout.write(line + "\n");
}

export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => write("debug", msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write("info", msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write("warn", msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write("error", msg, fields),
};
