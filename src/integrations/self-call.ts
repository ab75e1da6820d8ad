/**
 * Calls the app makes to itself: tick kicks, the `http` agent transport, the agents' health
 * probe, the self-call health check, and verify_deployment fetching sites published here. They
 * go to publicBaseUrl() (src/env.ts) and, when VERCEL_AUTOMATION_BYPASS_SECRET is set, carry
 * `x-vercel-protection-bypass` so Vercel's Deployment Protection lets them through to the app.
 *
 * The bypass secret is only ever sent to our own origin (isSelfUrl), never logged, never put in
 * an error message or a response. Links we publish (emails, sitemaps) use publicBaseUrl() alone.
 */
import { publicBaseUrl } from "@/env";

export const BYPASS_HEADER = "x-vercel-protection-bypass";

/** Why a self-call cannot be made: production without any base URL variable. */
export class SelfCallUnavailable extends Error {
  constructor() {
    super("The app cannot call itself: set PUBLIC_BASE_URL (or deploy on Vercel, which sets VERCEL_URL).");
    this.name = "SelfCallUnavailable";
  }
}

/** The base URL of self-calls (no trailing slash), or undefined in production without one. */
export function selfBaseUrl(source: NodeJS.ProcessEnv = process.env): string | undefined {
  return publicBaseUrl(source);
}

/** `path` (`/api/…`) on our own base URL. Throws SelfCallUnavailable when there is none. */
export function selfUrl(path: string, source: NodeJS.ProcessEnv = process.env): string {
  const base = selfBaseUrl(source);
  if (!base) throw new SelfCallUnavailable();
  return `${base}${path.startsWith("/") ? path : `/${path}`}`;
}

/** The origin of self-calls (`https://app.example.com`), safe to show: no path, no credentials. */
export function selfOrigin(source: NodeJS.ProcessEnv = process.env): string | undefined {
  const base = selfBaseUrl(source);
  if (!base) return undefined;
  try {
    return new URL(base).origin;
  } catch {
    return undefined;
  }
}

/** True when `url` is on our own origin (so it may carry the bypass header). */
export function isSelfUrl(url: string | URL, source: NodeJS.ProcessEnv = process.env): boolean {
  const origin = selfOrigin(source);
  if (!origin) return false;
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

/**
 * `headers` plus the protection bypass header when VERCEL_AUTOMATION_BYPASS_SECRET is set. For a
 * request whose URL may be someone else's, pass `url`: the header is then added only when that
 * URL is on our own origin.
 */
export function selfCallHeaders(
  headers?: HeadersInit,
  url?: string | URL,
  source: NodeJS.ProcessEnv = process.env,
): Headers {
  const out = new Headers(headers);
  const secret = source.VERCEL_AUTOMATION_BYPASS_SECRET?.trim();
  if (secret && (url === undefined || isSelfUrl(url, source))) out.set(BYPASS_HEADER, secret);
  return out;
}

/**
 * fetch() of a path of our own app: the base URL, the bypass header, and no redirect followed
 * by default (a redirect from our own route means something is misconfigured, e.g. a login
 * page of Deployment Protection).
 */
export async function selfFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const url = selfUrl(path);
  return fetch(url, { redirect: "manual", ...init, headers: selfCallHeaders(init.headers) });
}
