/**
 * The two loopback proxies that stand in for Vercel's edge:
 * - the production domain: round-robin over the server slots; a request that cannot reach its
 *   backend (connection refused: the instance is dead) is retried once on the next one, as a load
 *   balancer does, else 502. A backend that dies mid-request (reset after the request was sent)
 *   is answered 502 and never retried: the request may have been processed. It sets
 *   x-forwarded-for like Vercel does (from `x-rehearsal-client-ip` when a workload plays many
 *   clients, else the peer address).
 * - the deployment URL (Deployment Protection): 401 to any request without the right
 *   `x-vercel-protection-bypass`, else forwarded to the production domain proxy.
 * Both count what they answer, so the report can tell a 5xx of a live server (a failure) from a
 * 502 of an instance that was just killed (expected, counted apart).
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ServerPool } from "./servers";

export interface LiveFailure {
  at: string;
  method: string;
  path: string;
  status: number;
  backend: number;
  error?: string;
}

export interface ProxyStats {
  requests: number;
  byStatus: Record<string, number>;
  /** 5xx answered by a backend process that was alive (failures of the app). */
  live5xx: LiveFailure[];
  /** 502: the backend was dead or died mid-request (a kill); not failures. */
  killed502: number;
  /** Requests retried on another backend after a refused connection. */
  retried: number;
  /** 502 whose backend was still the same live process afterwards (a reset by a live server). */
  liveResets: LiveFailure[];
  /**
   * Every call of the tick route that reached a server, by origin (GET: the cron; POST: its
   * `x-tick-origin`, continuation or kick), including ticks a kill ended before they could record
   * their `tick.duration` point.
   */
  tickCalls: { at: number; origin: string }[];
}

export interface Proxy {
  port: number;
  url: string;
  stats: ProxyStats;
  close(): Promise<void>;
}

function newStats(): ProxyStats {
  return { requests: 0, byStatus: {}, live5xx: [], killed502: 0, retried: 0, liveResets: [], tickCalls: [] };
}

function count(stats: ProxyStats, status: number): void {
  stats.requests += 1;
  stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  server.keepAliveTimeout = 5_000;
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

type Attempt = { kind: "answered"; upstream: IncomingMessage } | { kind: "refused" } | { kind: "reset"; error: Error };

function forward(
  port: number,
  req: IncomingMessage,
  body: Buffer,
  headers: http.OutgoingHttpHeaders,
): Promise<Attempt> {
  return new Promise((resolve) => {
    const upstream = http.request(
      { host: "127.0.0.1", port, method: req.method, path: req.url, headers, agent: false },
      (res) => resolve({ kind: "answered", upstream: res }),
    );
    upstream.on("error", (error: NodeJS.ErrnoException) =>
      resolve(error.code === "ECONNREFUSED" ? { kind: "refused" } : { kind: "reset", error }),
    );
    upstream.end(body);
  });
}

function forwardedHeaders(req: IncomingMessage, body: Buffer): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = { ...req.headers };
  const client = req.headers["x-rehearsal-client-ip"];
  delete headers["x-rehearsal-client-ip"];
  headers["x-forwarded-for"] =
    typeof client === "string" && client ? client : (req.socket.remoteAddress ?? "127.0.0.1");
  // Vercel's edge sets these too, overwriting what the client sent; the app reads them first (src/http/client-address.ts).
  headers["x-vercel-forwarded-for"] = headers["x-forwarded-for"];
  headers["x-real-ip"] = headers["x-forwarded-for"];
  headers["x-forwarded-proto"] = "https";
  headers["x-forwarded-host"] = req.headers.host;
  headers.connection = "close";
  if (body.length > 0 || req.headers["content-length"] !== undefined) headers["content-length"] = String(body.length);
  delete headers["transfer-encoding"];
  return headers;
}

function answer(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res
    .writeHead(status, { "content-type": "application/json" })
    .end(JSON.stringify({ error: { code: "proxy", message } }));
}

/** The production domain: round-robin over the pool's slots. */
export async function startRoundRobinProxy(poolOf: () => ServerPool): Promise<Proxy> {
  const stats = newStats();
  let next = 0;
  const server = http.createServer(async (req, res) => {
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      return void res.destroy();
    }
    const headers = forwardedHeaders(req, body);
    const path = req.url ?? "/";
    const pool = poolOf();
    const ports = pool.slots.map((s) => s.port);
    const first = next++ % ports.length;
    for (let i = 0; i < Math.min(2, ports.length); i++) {
      const port = ports[(first + i) % ports.length]!;
      const generation = pool.generationOf(port);
      const sentAt = Date.now();
      const attempt = await forward(port, req, body, headers);
      if (attempt.kind === "refused") {
        if (i === 0 && ports.length > 1) stats.retried += 1;
        continue;
      }
      if (path.startsWith("/api/orchestration/tick")) {
        // Reached a server (answered, or killed under it): a tick began.
        const origin = req.method === "GET" ? "cron" : String(req.headers["x-tick-origin"] ?? "kick");
        stats.tickCalls.push({ at: sentAt, origin });
      }
      if (attempt.kind === "reset") {
        count(stats, 502);
        // A reset from a process that is still the live one was not a kill.
        await new Promise((r) => setTimeout(r, 50));
        if (pool.isLive(port, generation))
          stats.liveResets.push({
            at: new Date().toISOString(),
            method: req.method ?? "",
            path,
            status: 502,
            backend: port,
            error: `${(attempt.error as NodeJS.ErrnoException).code ?? ""} ${attempt.error.message}`.trim(),
          });
        else stats.killed502 += 1;
        return answer(res, 502, `backend ${port} went away mid-request (${attempt.error.message})`);
      }
      const upstream = attempt.upstream;
      count(stats, upstream.statusCode ?? 0);
      if ((upstream.statusCode ?? 0) >= 500)
        stats.live5xx.push({
          at: new Date().toISOString(),
          method: req.method ?? "",
          path,
          status: upstream.statusCode ?? 0,
          backend: port,
        });
      res.writeHead(upstream.statusCode ?? 502, upstream.headers);
      upstream.pipe(res);
      upstream.on("error", () => res.destroy());
      return;
    }
    count(stats, 502);
    stats.killed502 += 1;
    answer(res, 502, "no backend answered");
  });
  const port = await listen(server);
  return { port, url: `http://127.0.0.1:${port}`, stats, close: () => closeServer(server) };
}

export interface ProtectedProxy extends Proxy {
  /** Requests refused for a missing or wrong bypass header, by path. */
  refused: Record<string, number>;
}

/** The deployment URL behind Deployment Protection: the bypass header or 401. */
export async function startProtectedProxy(target: Proxy, bypassSecret: string): Promise<ProtectedProxy> {
  const stats = newStats();
  const refused: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    if (req.headers["x-vercel-protection-bypass"] !== bypassSecret) {
      count(stats, 401);
      const path = (req.url ?? "/").split("?")[0]!;
      refused[path] = (refused[path] ?? 0) + 1;
      req.resume();
      res
        .writeHead(401, { "content-type": "text/html" })
        .end("<!doctype html><title>Authentication Required</title><p>Vercel Authentication</p>");
      return;
    }
    const upstream = http.request(
      {
        host: "127.0.0.1",
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, connection: "close" },
        agent: false,
      },
      (up) => {
        count(stats, up.statusCode ?? 0);
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on("error", () => res.destroy());
      },
    );
    upstream.on("error", () => {
      count(stats, 502);
      answer(res, 502, "the production proxy did not answer");
    });
    req.pipe(upstream);
  });
  const port = await listen(server);
  return { port, url: `http://127.0.0.1:${port}`, stats, refused, close: () => closeServer(server) };
}
