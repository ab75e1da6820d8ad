import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { callHttp } from "@/agents/transport";
import type { Db } from "@/db/client";
import { kickTick } from "@/engine/kick";
import {
  BYPASS_HEADER,
  SelfCallUnavailable,
  isSelfUrl,
  selfCallHeaders,
  selfFetch,
  selfOrigin,
  selfUrl,
} from "@/integrations/self-call";

const src = (values: Record<string, string>) => values as NodeJS.ProcessEnv;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("self-call module", () => {
  it("builds URLs on the base URL, and fails plainly in production without one", () => {
    expect(selfUrl("/api/orchestration/tick", src({ PUBLIC_BASE_URL: "https://app.example.com/" }))).toBe(
      "https://app.example.com/api/orchestration/tick",
    );
    expect(selfUrl("api/x", src({ PORT: "4100" }))).toBe("http://localhost:4100/api/x");
    expect(() => selfUrl("/api/x", src({ VERCEL: "1" }))).toThrow(SelfCallUnavailable);
    expect(selfOrigin(src({ PUBLIC_BASE_URL: "https://app.example.com/base/" }))).toBe("https://app.example.com");
  });

  it("adds x-vercel-protection-bypass only when VERCEL_AUTOMATION_BYPASS_SECRET is set", () => {
    const base = { PUBLIC_BASE_URL: "https://app.example.com" };
    expect(selfCallHeaders({ a: "1" }, undefined, src(base)).has(BYPASS_HEADER)).toBe(false);
    const headers = selfCallHeaders(
      { a: "1" },
      undefined,
      src({ ...base, VERCEL_AUTOMATION_BYPASS_SECRET: "bypass-secret-1234" }),
    );
    expect(headers.get(BYPASS_HEADER)).toBe("bypass-secret-1234");
    expect(headers.get("a")).toBe("1");
  });

  it("sends the bypass secret to our own origin only", () => {
    const env = src({
      PUBLIC_BASE_URL: "https://app.example.com",
      VERCEL_AUTOMATION_BYPASS_SECRET: "bypass-secret-1234",
    });
    expect(isSelfUrl("https://app.example.com/sites/x/", env)).toBe(true);
    expect(isSelfUrl("https://evil.example.com/app.example.com", env)).toBe(false);
    expect(isSelfUrl("not a url", env)).toBe(false);
    expect(selfCallHeaders(undefined, "https://app.example.com/sites/x/", env).get(BYPASS_HEADER)).toBe(
      "bypass-secret-1234",
    );
    expect(selfCallHeaders(undefined, "https://other.example.com/sites/x/", env).has(BYPASS_HEADER)).toBe(false);
    expect(selfCallHeaders(undefined, "http://app.example.com/", env).has(BYPASS_HEADER)).toBe(false); // another origin (scheme)
  });

  it("selfFetch reaches the base URL with the bypass header and does not follow redirects", async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(302, { location: "https://login.example.com/" }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      vi.stubEnv("PUBLIC_BASE_URL", `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      vi.stubEnv("VERCEL_AUTOMATION_BYPASS_SECRET", "bypass-secret-1234");
      const res = await selfFetch("/api/health/self", { headers: { authorization: "Bearer x" } });
      expect(res.status).toBe(302);
      expect(seen).toHaveLength(1);
      expect(seen[0]![BYPASS_HEADER]).toBe("bypass-secret-1234");
      expect(seen[0]!.authorization).toBe("Bearer x");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

const HEALTH_OUTPUT = { status: "ok", dbLatencyMs: 1.5, checkedAt: "2026-12-03T10:00:00.000Z" };

describe("every self-call carries the bypass header", () => {
  async function withServer(
    fn: (base: string, seen: { method: string; path: string; headers: IncomingHttpHeaders }[]) => Promise<void>,
  ): Promise<void> {
    const seen: { method: string; path: string; headers: IncomingHttpHeaders }[] = [];
    const server = createServer((req, res) => {
      seen.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers });
      req.resume();
      // The agent route's answer is its action's output (the transport checks it).
      const body = req.url === "/api/agents/core/health" ? JSON.stringify(HEALTH_OUTPUT) : '{"ok":true}';
      res
        .writeHead(req.url === "/api/orchestration/tick" ? 202 : 200, { "content-type": "application/json" })
        .end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  it("tick kicks (production), with CRON_SECRET and their origin", async () => {
    await withServer(async (base, seen) => {
      vi.stubEnv("VERCEL", "1");
      vi.stubEnv("PUBLIC_BASE_URL", base);
      vi.stubEnv("CRON_SECRET", "cron-secret-0123456789");
      vi.stubEnv("VERCEL_AUTOMATION_BYPASS_SECRET", "bypass-secret-1234");
      await kickTick();
      await kickTick(undefined, "continuation");
      expect(
        seen.map((s) => [
          s.method,
          s.path,
          s.headers["x-tick-origin"],
          s.headers[BYPASS_HEADER],
          s.headers.authorization,
        ]),
      ).toEqual([
        ["POST", "/api/orchestration/tick", "kick", "bypass-secret-1234", "Bearer cron-secret-0123456789"],
        ["POST", "/api/orchestration/tick", "continuation", "bypass-secret-1234", "Bearer cron-secret-0123456789"],
      ]);
    });
  });

  it("still calls the tick route when the workers' NOTIFY fails (a wake-up is only a shortcut)", async () => {
    await withServer(async (base, seen) => {
      vi.stubEnv("VERCEL", "1");
      vi.stubEnv("PUBLIC_BASE_URL", base);
      vi.stubEnv("CRON_SECRET", "cron-secret-0123456789");
      // A database whose every query fails, as a pool that cannot hand out a connection does.
      const failing = {
        execute: () => Promise.reject(new Error("timeout exceeded when trying to connect")),
      } as unknown as Db;
      await kickTick(failing);
      expect(seen.map((s) => [s.method, s.path])).toEqual([["POST", "/api/orchestration/tick"]]);
    });
  });

  it("kicks nothing outside production (in-process workers are woken instead)", async () => {
    await withServer(async (base, seen) => {
      vi.stubEnv("PUBLIC_BASE_URL", base);
      await kickTick();
      expect(seen).toEqual([]);
    });
  });

  it("the http agent transport", async () => {
    await withServer(async (base, seen) => {
      vi.stubEnv("PUBLIC_BASE_URL", base);
      vi.stubEnv("VERCEL_AUTOMATION_BYPASS_SECRET", "bypass-secret-1234");
      const result = await callHttp({
        db: undefined as unknown as Db,
        agent: "core",
        action: "health",
        input: {},
        idempotencyKey: "run:step",
        attempt: 1,
        taskId: "1.1",
        timeoutMs: 5_000,
        signal: AbortSignal.timeout(5_000),
      });
      expect(result).toEqual({ status: "completed", output: HEALTH_OUTPUT });
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ method: "POST", path: "/api/agents/core/health" });
      expect(seen[0]!.headers[BYPASS_HEADER]).toBe("bypass-secret-1234");
    });
  });
});
