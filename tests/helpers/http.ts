/** Calls route handlers the way Next does: a real Request, and params as a Promise. */
import type { RouteHandler } from "@/http/wrappers";

export const BASE = "http://localhost:3000";

export interface CallOptions {
  method?: string;
  key?: string;
  headers?: Record<string, string>;
  /** A value to send as JSON, or a string sent as is. */
  body?: unknown;
  params?: Record<string, string | string[]>;
}

export async function call(handler: RouteHandler, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const req = new Request(BASE + path, { method: options.method ?? "GET", headers, body });
  return handler(req, { params: Promise.resolve(options.params ?? {}) });
}

export async function callJson<T = unknown>(
  handler: RouteHandler,
  path: string,
  options: CallOptions = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await call(handler, path, options);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
}
