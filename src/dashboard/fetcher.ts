/**
 * How the dashboard talks to the API: same-origin requests carrying the session cookie, every
 * response parsed by its schema (schemas.ts), and failures as `DashboardFetchError`s that say
 * what went wrong (unreachable, signed out, the API's own message, an unexpected shape).
 *
 * Mutations send `X-Requested-With: dashboard`, without which the API refuses a change made
 * with the session cookie (src/auth/session.ts explains the CSRF reasoning).
 */
import type { z } from "zod";
import { apiErrorSchema } from "./schemas";

export const DASHBOARD_HEADERS = { "X-Requested-With": "dashboard" } as const;

export type FetchFailure = "network" | "unauthorized" | "http" | "invalid_response";

export class DashboardFetchError extends Error {
  constructor(
    readonly kind: FetchFailure,
    message: string,
    /** The HTTP status, when there was a response. */
    readonly status?: number,
    /** The API's error code (`conflict`, `forbidden`…), when it sent one. */
    readonly code?: string,
  ) {
    super(message);
    this.name = "DashboardFetchError";
  }
}

/** What a hook keeps: the parsed value and when it arrived (for "last updated" and staleness). */
export interface Fetched<T> {
  value: T;
  at: number;
}

async function failure(res: Response): Promise<DashboardFetchError> {
  let message = `The API answered ${res.status}.`;
  let code: string | undefined;
  try {
    const body = apiErrorSchema.safeParse(await res.json());
    if (body.success) ({ message, code } = body.data.error);
  } catch {
    // not JSON (a proxy's error page): keep the generic message
  }
  if (res.status === 401) return new DashboardFetchError("unauthorized", message, 401, code);
  return new DashboardFetchError("http", message, res.status, code);
}

async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { credentials: "same-origin", cache: "no-store", ...init });
  } catch {
    throw new DashboardFetchError("network", "The API is unreachable.");
  }
}

function parse<S extends z.ZodType>(schema: S, url: string, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? ` (${first.path.join(".") || "body"}: ${first.message})` : "";
    throw new DashboardFetchError("invalid_response", `Unexpected response from ${url.split("?")[0]}${where}.`);
  }
  return parsed.data;
}

/** GETs a URL and parses its JSON with `schema`. */
export async function getJson<S extends z.ZodType>(url: string, schema: S): Promise<Fetched<z.output<S>>> {
  const res = await send(url, { headers: { Accept: "application/json" } });
  if (!res.ok) throw await failure(res);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new DashboardFetchError("invalid_response", `Unexpected response from ${url.split("?")[0]} (not JSON).`);
  }
  return { value: parse(schema, url, body), at: Date.now() };
}

/** POSTs an action (no body) with the dashboard's header; parses the answer with `schema`. */
export async function postAction<S extends z.ZodType>(url: string, schema: S): Promise<z.output<S>> {
  const res = await send(url, { method: "POST", headers: { Accept: "application/json", ...DASHBOARD_HEADERS } });
  if (!res.ok) throw await failure(res);
  return parse(schema, url, await res.json());
}
