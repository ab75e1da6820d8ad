/**
 * The `http` step kind. 2xx succeeds with `{status, body}`; 408, 429, 5xx, network errors and
 * timeouts are retried; other statuses fail the step at once. Redirects are not followed (a
 * redirect could lead to a host the allow-list refuses). The host is checked again here,
 * because a templated URL could only be checked at run time.
 */
import { readLimitedText } from "@/util/read-limited";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { assertHttpHostAllowed, classifyHost, isHostExplicitlyAllowed } from "../definition";
import { NonRetryableError, RetryableError } from "../step-errors";

export interface HttpRequestSpec {
  url: string;
  method: string;
  headers?: Record<string, unknown>;
  body?: unknown;
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

export type Lookup = (hostname: string) => Promise<{ address: string }[]>;
const systemLookup: Lookup = (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * A public name can point at a private address (DNS rebinding, or a hostile record): the name is
 * resolved and every address checked like a literal one, unless the name itself is allowed.
 * (A resolver that answers differently between this check and the connection is not caught;
 * pinning the address would need a custom HTTP agent.) A name that does not resolve is left
 * to fetch, which fails it as a network error (retried).
 */
export async function assertResolvesToAllowed(hostname: string, resolve: Lookup = systemLookup): Promise<void> {
  const host = hostname.replace(/^\[(.*)\]$/, "$1");
  if (isIP(host) || isHostExplicitlyAllowed(host)) return;
  let addresses: { address: string }[];
  try {
    addresses = await resolve(host);
  } catch {
    return;
  }
  for (const { address } of addresses) {
    const refusal = classifyHost(address);
    if (refusal) throw new NonRetryableError(`host "${host}" resolves to ${address}, a ${refusal.replace("_", "-")} address; add it to HTTP_STEP_ALLOWED_HOSTS to allow it`);
  }
}

export async function runHttpStep(
  spec: HttpRequestSpec,
  call: { idempotencyKey: string; attempt: number; signal: AbortSignal },
): Promise<{ status: number; body: unknown }> {
  try {
    assertHttpHostAllowed(spec.url);
  } catch (error) {
    throw new NonRetryableError(error instanceof Error ? error.message : String(error));
  }
  await assertResolvesToAllowed(new URL(spec.url).hostname);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.headers ?? {})) headers[k] = typeof v === "string" ? v : JSON.stringify(v);
  headers["Idempotency-Key"] = call.idempotencyKey;
  headers["X-Orchestrator-Attempt"] = String(call.attempt);
  const hasBody = spec.body !== undefined && spec.body !== null && spec.method !== "GET";
  if (hasBody) headers["Content-Type"] ??= "application/json";
  let res: Response;
  try {
    res = await fetch(spec.url, {
      method: spec.method,
      headers,
      body: hasBody ? (typeof spec.body === "string" ? spec.body : JSON.stringify(spec.body)) : undefined,
      redirect: "manual",
      signal: call.signal,
    });
  } catch (error) {
    throw new RetryableError(`Request to ${new URL(spec.url).host} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const body = await readBody(res);
  if (res.status >= 200 && res.status < 300) return { status: res.status, body };
  const details = { status: res.status, body };
  if (res.status === 408 || res.status === 429 || res.status >= 500) throw new RetryableError(`HTTP ${res.status}`, details);
  throw new NonRetryableError(`HTTP ${res.status}`, details);
}
