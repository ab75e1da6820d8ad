/**
 * The `http` step under the outbound policy, and its secret references: a refused address fails
 * the step without retrying and names the policy; a failed lookup sends nothing; a secret
 * reaches the receiver from HTTP_SECRET_<NAME> and is masked wherever it could come back.
 */
import dns, { type LookupAddress } from "node:dns";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { runHttpStep } from "@/engine/kinds/http";
import { NonRetryableError, RetryableError } from "@/step-errors";
import { redact } from "@/observability/log";

let server: Server;
let base = "";
let port = 0;
const received: { path: string; headers: IncomingHttpHeaders }[] = [];
let answer: (headers: IncomingHttpHeaders) => { status: number; body: string } = () => ({
  status: 200,
  body: '{"ok":true}',
});

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push({ path: req.url ?? "", headers: req.headers });
    const { status, body } = answer(req.headers);
    res.writeHead(status, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  vi.restoreAllMocks();
  received.length = 0;
  answer = () => ({ status: 200, body: '{"ok":true}' });
  delete process.env.HTTP_STEP_ALLOWED_HOSTS;
});

const call = (extra: Partial<Parameters<typeof runHttpStep>[1]> = {}) => ({
  idempotencyKey: "run:step",
  attempt: 1,
  signal: AbortSignal.timeout(5_000),
  ...extra,
});

function resolverAnswering(...answers: (string | Error)[]): void {
  let n = 0;
  vi.spyOn(dns, "lookup").mockImplementation(((_host: string, options: unknown, callback: unknown) => {
    const cb = (typeof options === "function" ? options : callback) as (
      e: Error | null,
      a: string | LookupAddress[],
      f?: number,
    ) => void;
    const all = typeof options === "object" && options !== null && (options as { all?: boolean }).all;
    const a = answers[Math.min(n++, answers.length - 1)]!;
    setImmediate(() => {
      if (a instanceof Error) return cb(a, "");
      if (all) cb(null, [{ address: a, family: 4 }]);
      else cb(null, a, 4);
    });
  }) as never);
}

describe("runHttpStep under the outbound policy", () => {
  it("fails without retrying, naming the policy, when the host resolves to a refused address", async () => {
    resolverAnswering("100.100.100.200");
    const error = await runHttpStep({ url: `http://metadata.example:${port}/latest`, method: "GET" }, call()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NonRetryableError);
    expect((error as Error).message).toMatch(
      /^outbound policy: host "metadata\.example" resolves to 100\.100\.100\.200.*100\.64\.0\.0\/10/,
    );
    expect((error as NonRetryableError).details).toEqual({ policy: "outbound", range: "100.64.0.0/10" });
  });

  it("sends nothing when the lookup fails (retried as a network error), even if the next lookup answers loopback", async () => {
    resolverAnswering(
      Object.assign(new Error("getaddrinfo EAI_AGAIN flaky.example"), { code: "EAI_AGAIN" }),
      "127.0.0.1",
    );
    const error = await runHttpStep(
      { url: `http://flaky.example:${port}/hook`, method: "POST", body: { a: 1 } },
      call(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toMatch(/flaky\.example.*EAI_AGAIN/);
    expect(received).toEqual([]);
  });

  it("refuses a literal private URL before any connection", async () => {
    await expect(runHttpStep({ url: `${base}/x`, method: "GET" }, call())).rejects.toThrow(NonRetryableError);
    expect(received).toEqual([]);
  });
});

describe("secret references", () => {
  const env = { HTTP_SECRET_API_TOKEN: "tok_live_0123456789abcdef" };
  const definitionHeaders = { Authorization: "Bearer ${secret:API_TOKEN}" };

  it("sends the secret from HTTP_SECRET_<NAME> and masks it when the receiver echoes it", async () => {
    process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
    answer = (headers) => ({ status: 200, body: JSON.stringify({ echoed: headers.authorization }) });
    const output = await runHttpStep(
      { url: `${base}/orders`, method: "GET", headers: { ...definitionHeaders } },
      call({ definitionHeaders, env }),
    );
    expect(received[0]?.headers.authorization).toBe("Bearer tok_live_0123456789abcdef");
    expect(output).toEqual({ status: 200, body: { echoed: "Bearer [secret:API_TOKEN]" } });
  });

  it("masks the secret in the error of a failed call", async () => {
    process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
    answer = (headers) => ({ status: 401, body: JSON.stringify({ error: `bad token ${headers.authorization}` }) });
    const error = await runHttpStep(
      { url: `${base}/orders`, method: "GET", headers: { ...definitionHeaders } },
      call({ definitionHeaders, env }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(JSON.stringify((error as NonRetryableError).details)).not.toContain(env.HTTP_SECRET_API_TOKEN);
    expect(JSON.stringify((error as NonRetryableError).details)).toContain("[secret:API_TOKEN]");
  });

  it("fails the step without retrying, naming the variable, when the secret is not configured", async () => {
    process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
    const error = await runHttpStep(
      { url: `${base}/orders`, method: "GET", headers: { ...definitionHeaders } },
      call({ definitionHeaders, env: {} }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect((error as Error).message).toBe(
      'Header Authorization: unknown secret "API_TOKEN": set the environment variable HTTP_SECRET_API_TOKEN',
    );
    expect(received).toEqual([]);
  });

  it("never resolves a reference that a template produced (data is sent as it is)", async () => {
    process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
    await runHttpStep(
      { url: `${base}/orders`, method: "GET", headers: { "X-Note": "${secret:API_TOKEN}" } },
      call({ definitionHeaders: { "X-Note": "{{ input.note }}" }, env }),
    );
    expect(received[0]?.headers["x-note"]).toBe("${secret:API_TOKEN}");
  });
});

it("redacts the value of every HTTP_SECRET_ variable from the logs", () => {
  process.env.HTTP_SECRET_LOGGED = "tok_never_in_a_log_line_42";
  try {
    expect(redact({ message: "calling with tok_never_in_a_log_line_42 in the text" })).toEqual({
      message: "calling with [redacted] in the text",
    });
  } finally {
    delete process.env.HTTP_SECRET_LOGGED;
  }
});
