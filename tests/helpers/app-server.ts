/**
 * The app's route handlers behind a real loopback HTTP server, for tests of calls that cross
 * HTTP (the agent transport, callbacks, site verification): each request becomes a `Request`,
 * goes to the handler whose pattern matches (named groups become params), and the `Response`
 * is written back. Unmatched paths answer 404.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { RouteHandler } from "@/http/wrappers";

export interface AppRoute {
  pattern: RegExp;
  handlers: Partial<Record<string, RouteHandler>>;
}

export interface AppServer {
  base: string;
  /** Requests served, by method and path. */
  requests: { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

export async function startAppServer(routes: AppRoute[]): Promise<AppServer> {
  const requests: AppServer["requests"] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const route = routes.map((r) => ({ r, m: r.pattern.exec(url.pathname) })).find((x) => x.m);
        const handler = route?.r.handlers[req.method ?? "GET"];
        let response: Response;
        if (!route || !handler) response = new Response("not found", { status: 404 });
        else {
          const headers = new Headers();
          for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
          const body =
            chunks.length > 0 && req.method !== "GET" && req.method !== "HEAD" ? Buffer.concat(chunks) : undefined;
          const request = new Request(new URL(url.pathname + url.search, base), { method: req.method, headers, body });
          const params = Object.fromEntries(
            Object.entries(route.m!.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]),
          );
          response = await handler(request, { params: Promise.resolve(params) });
        }
        requests.push({ method: req.method ?? "GET", path: url.pathname, status: response.status });
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      })().catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
