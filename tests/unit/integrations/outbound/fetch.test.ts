/**
 * The outbound policy where it holds: at the connection. A resolver that answers a public
 * address to an earlier check and a loopback one at connection time (DNS rebinding) reaches
 * nothing; a failed lookup reaches nothing; redirects are checked hop by hop. The "public"
 * answers are never connected to: each test makes sure the connection-time answer is loopback.
 */
import dns, { type LookupAddress } from "node:dns";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { fetchFollowingRedirects, outboundFetch, OutboundRefused } from "@/integrations/outbound";

let server: Server;
let port = 0;
const hits: string[] = [];
let onRequest: (path: string) => { status: number; location?: string } = () => ({ status: 200 });

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? "");
    const { status, location } = onRequest(req.url ?? "");
    res.writeHead(status, location ? { location } : {}).end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  vi.restoreAllMocks();
  hits.length = 0;
  onRequest = () => ({ status: 200 });
  delete process.env.HTTP_STEP_ALLOWED_HOSTS;
});

type Answer = string[] | Error;
/** dns.lookup answering `answers` in turn (the last one repeated), as the system resolver would. */
function resolverAnswering(...answers: Answer[]): { calls: string[] } {
  const calls: string[] = [];
  vi.spyOn(dns, "lookup").mockImplementation(((hostname: string, options: unknown, callback: unknown) => {
    const cb = (typeof options === "function" ? options : callback) as (
      e: Error | null,
      a: string | LookupAddress[],
      f?: number,
    ) => void;
    const all = typeof options === "object" && options !== null && (options as { all?: boolean }).all;
    const answer = answers[Math.min(calls.length, answers.length - 1)]!;
    calls.push(hostname);
    setImmediate(() => {
      if (answer instanceof Error) return cb(answer, "");
      const list = answer.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
      if (all) cb(null, list);
      else cb(null, list[0]!.address, list[0]!.family);
    });
  }) as never);
  return { calls };
}

describe("outboundFetch", () => {
  it("checks the address it connects to: a name that answered public to an earlier check and loopback now is refused", async () => {
    const resolver = resolverAnswering(["93.184.216.34"], ["127.0.0.1"]);
    // The earlier check (what the http step and webhook delivery used to do before fetching).
    const earlier = await promisify(dns.lookup)("rebind.example");
    expect(earlier.address).toBe("93.184.216.34");
    const error = await outboundFetch(`http://rebind.example:${port}/secret`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundRefused);
    expect((error as Error).message).toMatch(
      /outbound policy: host "rebind\.example" resolves to 127\.0\.0\.1, which is in a refused range \(loopback 127\.0\.0\.0\/8\)/,
    );
    expect(resolver.calls).toEqual(["rebind.example", "rebind.example"]);
    expect(hits).toEqual([]);
  });

  it("refuses a name when any of its addresses is refused, without connecting to any", async () => {
    resolverAnswering(["127.0.0.1", "10.0.0.8"]);
    await expect(outboundFetch(`http://mixed.example:${port}/`)).rejects.toThrow(OutboundRefused);
    expect(hits).toEqual([]);
  });

  it("fails closed when the lookup fails: nothing is sent, even if a later lookup would answer loopback", async () => {
    const resolver = resolverAnswering(
      Object.assign(new Error("getaddrinfo ENOTFOUND flaky.example"), { code: "ENOTFOUND" }),
      ["127.0.0.1"],
    );
    await expect(outboundFetch(`http://flaky.example:${port}/`)).rejects.toThrow();
    expect(resolver.calls).toEqual(["flaky.example"]);
    expect(hits).toEqual([]);
  });

  it("connects to a refused address only for a host listed in HTTP_STEP_ALLOWED_HOSTS", async () => {
    resolverAnswering(["127.0.0.1"]);
    process.env.HTTP_STEP_ALLOWED_HOSTS = "receiver.example";
    const res = await outboundFetch(`http://receiver.example:${port}/allowed`);
    expect(res.status).toBe(200);
    expect(hits).toEqual(["/allowed"]);
  });

  it("refuses a literal address before connecting", async () => {
    await expect(outboundFetch(`http://127.0.0.1:${port}/`)).rejects.toThrow(/loopback/);
    expect(hits).toEqual([]);
  });
});

describe("fetchFollowingRedirects under the policy", () => {
  const send = (url: string) => outboundFetch(url);

  it("refuses a redirect to a private address (literal or by name)", async () => {
    process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
    onRequest = () => ({ status: 302, location: "http://169.254.169.254/latest/meta-data" });
    await expect(fetchFollowingRedirects(`http://127.0.0.1:${port}/start`, send)).rejects.toThrow(/169\.254\.0\.0\/16/);
    expect(hits).toEqual(["/start"]);

    hits.length = 0;
    resolverAnswering(["127.0.0.1"]);
    onRequest = (path) =>
      path === "/start" ? { status: 301, location: `http://internal.example:${port}/admin` } : { status: 200 };
    await expect(fetchFollowingRedirects(`http://127.0.0.1:${port}/start`, send)).rejects.toThrow(
      /resolves to 127\.0\.0\.1/,
    );
    expect(hits).toEqual(["/start"]);
  });

  it("stops after the hop limit and returns the last redirect", async () => {
    process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
    onRequest = (path) => ({ status: 302, location: `/hop${Number(path.replace("/hop", "") || 0) + 1}` });
    const res = await fetchFollowingRedirects(`http://127.0.0.1:${port}/hop0`, send, 3);
    expect(res.status).toBe(302);
    expect(hits).toEqual(["/hop0", "/hop1", "/hop2", "/hop3"]);
  });
});
