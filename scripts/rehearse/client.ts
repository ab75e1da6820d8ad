/**
 * The workloads' HTTP client: calls the production domain (the round-robin proxy), as clients,
 * Shopify and operators do. A 502 or a dropped connection (an instance killed under the request)
 * is retried, as those callers do; every call that could be repeated carries an idempotency or
 * dedupe key, so a retry never does the work twice.
 */
import { sleep } from "./util";

export interface CallOptions {
  method?: string;
  body?: string | object;
  headers?: Record<string, string>;
  /** Bearer admin key (default true). */
  admin?: boolean;
  /** Retries after a 502 or a network error (default 20). */
  retries?: number;
  timeoutMs?: number;
}

export interface Answer {
  status: number;
  json: unknown;
  text: string;
  /** Retries it took (502s and dropped connections seen). */
  retried: number;
}

export class AppClient {
  retries = 0;
  constructor(
    readonly baseUrl: string,
    private readonly adminKey: string,
  ) {}

  async call(path: string, options: CallOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.admin !== false) headers.authorization = `Bearer ${this.adminKey}`;
    let body: string | undefined;
    if (typeof options.body === "string") body = options.body;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] ??= "application/json";
    }
    const max = options.retries ?? 20;
    for (let retried = 0; ; retried++) {
      try {
        const res = await fetch(new URL(path, this.baseUrl), {
          method: options.method ?? (body === undefined ? "GET" : "POST"),
          headers,
          body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        });
        const text = await res.text();
        if (res.status !== 502 || retried >= max) {
          let json: unknown = undefined;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON (a page)
          }
          return { status: res.status, json, text, retried };
        }
      } catch (error) {
        if (retried >= max) throw error;
      }
      this.retries += 1;
      await sleep(200 + retried * 100);
    }
  }

  /** `call`, failing unless the status is one of `expected`. */
  async expect(path: string, expected: number[], options: CallOptions = {}): Promise<Answer> {
    const answer = await this.call(path, options);
    if (!expected.includes(answer.status))
      throw new Error(
        `${options.method ?? (options.body === undefined ? "GET" : "POST")} ${path}: ${answer.status} ${answer.text.slice(0, 500)}`,
      );
    return answer;
  }
}
