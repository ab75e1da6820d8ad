/**
 * The `http` step kind. 2xx succeeds with `{status, body}`; 408, 429, 5xx, network errors and
 * timeouts are retried; other statuses fail the step at once. Redirects are not followed (a
 * redirect could lead to a host the policy refuses).
 *
 * Every call goes through the outbound policy (src/integrations/outbound): the rendered URL is
 * checked as written, and the address connected to is checked at connection time, so a name
 * that resolves (or rebinds) to a private address is refused. A refusal fails the step without
 * retrying, with a message that names the policy.
 *
 * Secret references (`${secret:NAME}` in a header, see definition/secret-refs.ts) are resolved
 * here, at call time, from the definition's own header text, never from rendered data; their
 * values are masked in the output and in every error.
 */
import { readLimitedText } from "@/util/read-limited";
import { describeOutboundFailure, outboundFetch, OutboundRefused } from "@/integrations/outbound";
import { assertHttpHostAllowed } from "../definition";
import { secretRefsIn, substituteSecrets } from "../definition/secret-refs";
import { NonRetryableError, RetryableError } from "@/step-errors";

export interface HttpRequestSpec {
  url: string;
  method: string;
  headers?: Record<string, unknown>;
  body?: unknown;
}

export interface HttpCall {
  idempotencyKey: string;
  attempt: number;
  signal: AbortSignal;
  /**
   * The step definition's headers as written (before templates): only references written there
   * are resolved. Without it no reference is resolved.
   */
  definitionHeaders?: Readonly<Record<string, string>>;
  /** Where HTTP_SECRET_<NAME> is read; process.env by default. */
  env?: Readonly<Record<string, string | undefined>>;
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

/** The response as JSON, or as text; a body over the limit fails the step (never truncated). */
async function readBody(res: Response): Promise<unknown> {
  const text = await readLimitedText(res, MAX_RESPONSE_BYTES);
  if (text === null) throw new NonRetryableError(`The response body is larger than ${MAX_RESPONSE_BYTES} bytes.`);
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

type UsedSecret = { name: string; value: string };

/** The headers to send: templated values as rendered, referencing ones resolved from the definition's text. */
function requestHeaders(
  spec: HttpRequestSpec,
  call: HttpCall,
): { headers: Record<string, string>; secrets: UsedSecret[] } {
  const headers: Record<string, string> = {};
  const secrets: UsedSecret[] = [];
  for (const [k, v] of Object.entries(spec.headers ?? {})) headers[k] = typeof v === "string" ? v : JSON.stringify(v);
  for (const [k, written] of Object.entries(call.definitionHeaders ?? {})) {
    if (secretRefsIn(written).length === 0) continue;
    try {
      const resolved = substituteSecrets(written, call.env ?? process.env);
      headers[k] = resolved.text;
      secrets.push(...resolved.used);
    } catch (error) {
      throw new NonRetryableError(`Header ${k}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  // Longest first, so a secret containing another is masked whole.
  secrets.sort((a, b) => b.value.length - a.value.length);
  return { headers, secrets };
}

/** `value` with every secret value replaced by `[secret:NAME]`, through strings, arrays and objects. */
export function maskSecrets<T>(value: T, secrets: readonly UsedSecret[]): T {
  if (secrets.length === 0) return value;
  const mask = (v: unknown): unknown => {
    if (typeof v === "string")
      return secrets.reduce(
        (text, s) => (text.includes(s.value) ? text.split(s.value).join(`[secret:${s.name}]`) : text),
        v,
      );
    if (Array.isArray(v)) return v.map(mask);
    if (v !== null && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [mask(k) as string, mask(item)]));
    return v;
  };
  return mask(value) as T;
}

function maskedError(error: unknown, secrets: readonly UsedSecret[]): unknown {
  if (secrets.length === 0) return error;
  if (error instanceof NonRetryableError)
    return new NonRetryableError(maskSecrets(error.message, secrets), maskSecrets(error.details, secrets));
  if (error instanceof RetryableError)
    return new RetryableError(maskSecrets(error.message, secrets), maskSecrets(error.details, secrets));
  return new RetryableError(maskSecrets(error instanceof Error ? error.message : String(error), secrets));
}

export async function runHttpStep(spec: HttpRequestSpec, call: HttpCall): Promise<{ status: number; body: unknown }> {
  try {
    assertHttpHostAllowed(spec.url);
  } catch (error) {
    throw new NonRetryableError(error instanceof Error ? error.message : String(error));
  }
  const { headers, secrets } = requestHeaders(spec, call);
  try {
    return maskSecrets(await send(spec, headers, call), secrets);
  } catch (error) {
    throw maskedError(error, secrets);
  }
}

async function send(
  spec: HttpRequestSpec,
  headers: Record<string, string>,
  call: HttpCall,
): Promise<{ status: number; body: unknown }> {
  headers["Idempotency-Key"] = call.idempotencyKey;
  headers["X-Orchestrator-Attempt"] = String(call.attempt);
  const hasBody = spec.body !== undefined && spec.body !== null && spec.method !== "GET";
  if (hasBody) headers["Content-Type"] ??= "application/json";
  let res: Response;
  try {
    res = await outboundFetch(spec.url, {
      method: spec.method,
      headers,
      body: hasBody ? (typeof spec.body === "string" ? spec.body : JSON.stringify(spec.body)) : undefined,
      signal: call.signal,
    });
  } catch (error) {
    if (error instanceof OutboundRefused)
      throw new NonRetryableError(error.message, { policy: "outbound", range: error.range?.cidr ?? null });
    throw new RetryableError(`Request to ${new URL(spec.url).host} failed: ${describeOutboundFailure(error)}`);
  }
  const body = await readBody(res);
  if (res.status >= 200 && res.status < 300) return { status: res.status, body };
  const details = { status: res.status, body };
  if (res.status === 408 || res.status === 429 || res.status >= 500)
    throw new RetryableError(`HTTP ${res.status}`, details);
  throw new NonRetryableError(`HTTP ${res.status}`, details);
}
