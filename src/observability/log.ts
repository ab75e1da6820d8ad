/**
 * Structured logs: one JSON object per line on stdout (stderr for errors), which is what
 * Vercel's log drains and `npm start` users both read well.
 *
 * Secrets never reach the logs: every line passes through `redact`, which replaces the values
 * of the configured secrets (every variable whose name or URL says it holds one, see
 * secretValues), anything shaped like one of our API keys, and the values of fields whose name
 * says they hold a credential.
 */
import { envVariableNames, GENERATED_SECRETS, getSecret, isProduction, readEnv } from "@/env";

type Level = "debug" | "info" | "warn" | "error";
const LEVELS: Record<Level | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

// `token$`, not `token`: `promptTokens` or `maxTokens` are counts worth keeping.
const SECRET_FIELD = /authorization|cookie|secret|password|passwd|token$|api[-_]?key|signature|^key$/i;
const API_KEY_SHAPE = /aok_[A-Za-z0-9_-]{20,}/g;
const REDACTED = "[redacted]";

/**
 * Which configured variables hold secrets, derived from the names the platform reads
 * (`envVariableNames()`, src/env.ts), not from a hand list that drifts: a name that says KEY,
 * SECRET, TOKEN, PASSWORD or CREDENTIAL (DATABASE_URL, SUPPLIER_*, model keys, and every variable
 * added later), except `*_URL` endpoints such as GOOGLE_OAUTH_TOKEN_URL, which are judged by
 * their value below.
 */
const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL/;

/**
 * The secret parts of a URL-valued variable: the whole value when it carries credentials (a
 * password in its userinfo, as DATABASE_URL and SMTP_URL do; a credential-named query parameter)
 * or when it is a webhook URL (Slack's is a bearer capability), plus the bare password, which
 * drivers sometimes echo on their own.
 */
function urlSecrets(name: string, value: string): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Not a URL (a bare host, a DSN in another form): kept whole only if the name says webhook.
    return /WEBHOOK/.test(name) ? [value] : [];
  }
  const password = url.password ? [value, decodeURIComponentSafe(url.password), url.password] : [];
  const queryCredential = [...url.searchParams.keys()].some((k) => /token|secret|key|password|signature|sig$/i.test(k))
    ? [value]
    : [];
  const webhook = /WEBHOOK/.test(name) ? [value] : [];
  return [...password, ...queryCredential, ...webhook];
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The secret values configured right now (env or generated), longest first. */
function secretValues(): string[] {
  const env = process.env;
  const values: (string | undefined)[] = [];
  for (const name of envVariableNames()) {
    const value = env[name]?.trim();
    if (!value) continue;
    if (name.endsWith("_URL")) values.push(...urlSecrets(name, value));
    else if (SECRET_NAME.test(name)) values.push(value);
  }
  // The http steps' secrets, a family of names rather than one (src/engine/definition/secret-refs.ts).
  for (const [name, value] of Object.entries(env)) if (name.startsWith("HTTP_SECRET_")) values.push(value?.trim());
  for (const name of GENERATED_SECRETS) {
    try {
      values.push(isProduction() ? env[name] : getSecret(name));
    } catch {
      // A missing production secret is reported by the config check, not here.
    }
  }
  return [...new Set(values.filter((v): v is string => typeof v === "string" && v.length >= 8))].sort(
    (a, b) => b.length - a.length,
  );
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
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_FIELD.test(k) && v != null ? REDACTED : redact(v, secrets, depth + 1);
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
    line = JSON.stringify({
      level,
      time: new Date().toISOString(),
      msg: redact(msg),
      note: "fields could not be serialised",
    });
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
