import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { GET as health } from "@/app/api/health/route";
import { GET as healthSelf } from "@/app/api/health/self/route";
import { GET as listKeys } from "@/app/api/keys/route";
import { openDb, setDbHandle, type DbHandle } from "@/db/client";
import { syncWorkflowFiles } from "@/engine/registry";
import { BYPASS_HEADER } from "@/integrations/self-call";
import { clearHealthCache, type HealthReport } from "@/operations/health";
import { describeDb } from "../helpers/db";
import { callJson } from "../helpers/http";

beforeEach(() => clearHealthCache());
afterEach(() => {
  vi.unstubAllEnvs();
  clearHealthCache();
});

describeDb("GET /api/health", (suite) => {
  it("reports every file of workflows/ missing until they are registered (degraded, still 200)", async () => {
    const res = await callJson<HealthReport>(health, "/api/health");
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("degraded");
    expect(res.body.checks.database.status).toBe("ok");
    expect(res.body.checks.workflows.status).toBe("down");
    expect(res.body.checks.workflows.files).toBeGreaterThan(0);
    expect(res.body.checks.workflows.missing).toContain("site_generation");
    expect(res.body.checks.workflows.missing).toHaveLength(res.body.checks.workflows.files);
  });

  it("answers 200 with the database check, the version, workflows ok and selfCall skipped locally", async () => {
    await syncWorkflowFiles(suite.db());
    const res = await callJson<HealthReport>(health, "/api/health");
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("ok");
    expect(res.body.checks.database.status).toBe("ok");
    expect(res.body.checks.database.latencyMs).toBeGreaterThanOrEqual(0);
    expect(res.body.checks.selfCall).toEqual({ status: "skipped" });
    expect(res.body.checks.workflows).toMatchObject({ status: "ok", missing: [], stale: [] });
    expect(res.body.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("names a workflow whose latest registered version differs from its file as stale", async () => {
    // A newer version registered by hand (e.g. through PUT /api/workflows/<name>) than the file.
    await suite.db().execute(sql`insert into workflow_definitions (name, version, definition, source, hash)
      select name, version + 1, jsonb_set(definition, '{description}', '"changed by hand"'), 'test', 'changed-by-hand' from workflow_definitions
      where name = 'hello' order by version desc limit 1`);
    const res = await callJson<HealthReport>(health, "/api/health");
    expect(res.body.status).toBe("degraded");
    expect(res.body.checks.workflows).toMatchObject({ status: "down", missing: [], stale: ["hello"] });
  });

  it("caches the workflow check for a while (the public route cannot be used to load the database)", async () => {
    await syncWorkflowFiles(suite.db()); // back to the file's content: a new version
    clearHealthCache();
    expect((await callJson<HealthReport>(health, "/api/health")).body.checks.workflows.stale).toEqual([]);
    await suite.db().execute(sql`delete from workflow_definitions where name = 'hello'`);
    expect((await callJson<HealthReport>(health, "/api/health")).body.checks.workflows.missing).toEqual([]); // cached
    clearHealthCache();
    expect((await callJson<HealthReport>(health, "/api/health")).body.checks.workflows.missing).toEqual(["hello"]);
    await syncWorkflowFiles(suite.db());
  });

  describe("selfCall in production, through a deployment URL that demands the bypass header", () => {
    const BYPASS = "bypass-secret-for-the-health-test-0123456789";
    const CRON = "cron-secret-for-the-health-test-0123456789";
    let proxy: Server;
    let base = "";
    const seen: { bypass: string | undefined; path: string }[] = [];

    beforeAll(async () => {
      // Plays Vercel's Deployment Protection in front of the app: 401 (an HTML page) without the
      // right x-vercel-protection-bypass, else the request goes to the route handler.
      proxy = createServer((req, res) => {
        const bypass = req.headers[BYPASS_HEADER] as string | undefined;
        seen.push({ bypass, path: req.url ?? "" });
        if (bypass !== BYPASS) {
          res
            .writeHead(401, { "content-type": "text/html" })
            .end("<!doctype html><title>Authentication Required</title>");
          return;
        }
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
        void (async () => {
          const url = new URL(req.url ?? "/", base);
          const response =
            url.pathname === "/api/health/self"
              ? await healthSelf(new Request(url, { headers }))
              : new Response("not found", { status: 404 });
          res
            .writeHead(response.status, Object.fromEntries(response.headers))
            .end(Buffer.from(await response.arrayBuffer()));
        })().catch((error: unknown) => res.writeHead(500).end(String(error)));
      });
      await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    });

    function production(bypass?: string): void {
      vi.stubEnv("VERCEL", "1");
      vi.stubEnv("VERCEL_ENV", "production");
      vi.stubEnv("PUBLIC_BASE_URL", base);
      vi.stubEnv("CRON_SECRET", CRON);
      vi.stubEnv("INTER_AGENT_SECRET", "inter-agent-secret-for-the-health-test");
      vi.stubEnv("SESSION_SECRET", "session-secret-for-the-health-test-0123");
      vi.stubEnv("ENCRYPTION_KEYS", `1:${Buffer.alloc(32, 3).toString("base64")}`);
      vi.stubEnv("LOG_LEVEL", "silent");
      if (bypass !== undefined) vi.stubEnv("VERCEL_AUTOMATION_BYPASS_SECRET", bypass);
    }

    it("is down (status degraded, 200) with a wrong bypass secret, in plain words and without the secret", async () => {
      production("a-wrong-bypass-secret-0123456789");
      const res = await callJson<HealthReport>(health, "/api/health");
      expect(res.status).toBe(200);
      expect(res.body.status).toBe("degraded");
      expect(res.body.checks.database.status).toBe("ok");
      expect(res.body.checks.selfCall).toMatchObject({ status: "down", url: base });
      expect(res.body.checks.selfCall.error).toMatch(
        /^status 401 .*Deployment Protection.*VERCEL_AUTOMATION_BYPASS_SECRET is set but was not accepted/,
      );
      expect(seen.at(-1)).toEqual({ bypass: "a-wrong-bypass-secret-0123456789", path: "/api/health/self" });
      const text = JSON.stringify(res.body);
      expect(text).not.toContain("a-wrong-bypass-secret");
      expect(text).not.toContain(CRON);
    });

    it("says to set the bypass secret when none is set", async () => {
      production();
      const res = await callJson<HealthReport>(health, "/api/health");
      expect(res.body.checks.selfCall.status).toBe("down");
      expect(res.body.checks.selfCall.error).toMatch(/set VERCEL_AUTOMATION_BYPASS_SECRET/);
      expect(seen.at(-1)?.bypass).toBeUndefined();
    });

    it("is ok with the right bypass secret (the route also checked CRON_SECRET), and cached for a while", async () => {
      production(BYPASS);
      const res = await callJson<HealthReport>(health, "/api/health");
      expect(res.status).toBe(200);
      expect(res.body.checks.selfCall).toMatchObject({ status: "ok", url: base });
      expect(res.body.checks.selfCall.latencyMs).toBeGreaterThanOrEqual(0);
      expect(res.body.status).toBe("ok");
      expect(JSON.stringify(res.body)).not.toContain(BYPASS);
      const calls = seen.length;
      await callJson<HealthReport>(health, "/api/health");
      await callJson<HealthReport>(health, "/api/health");
      expect(seen.length).toBe(calls); // 30 s per process: no new self-call
    });

    it("says when the app itself refuses the cron secret", async () => {
      production(BYPASS);
      // The deployment behind the base URL holds another CRON_SECRET: the route's own 401 (JSON).
      const refusing = createServer((req, res) =>
        res
          .writeHead(401, { "content-type": "application/json" })
          .end(JSON.stringify({ error: { code: "unauthorized", message: "A valid cron secret is required." } })),
      );
      await new Promise<void>((resolve) => refusing.listen(0, "127.0.0.1", resolve));
      try {
        vi.stubEnv("PUBLIC_BASE_URL", `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`);
        const res = await callJson<HealthReport>(health, "/api/health");
        expect(res.body.checks.selfCall.status).toBe("down");
        expect(res.body.checks.selfCall.error).toMatch(/refused this deployment's CRON_SECRET/);
      } finally {
        await new Promise<void>((resolve) => refusing.close(() => resolve()));
      }
    });

    it("is down, not hanging, when nothing answers at the base URL", async () => {
      production(BYPASS);
      vi.stubEnv("PUBLIC_BASE_URL", "http://127.0.0.1:1");
      const res = await callJson<HealthReport>(health, "/api/health");
      expect(res.status).toBe(200);
      expect(res.body.checks.selfCall).toMatchObject({ status: "down", url: "http://127.0.0.1:1" });
      expect(res.body.checks.selfCall.error).toMatch(/could not be reached/);
    });
  });
});

describe("when the database is unreachable", () => {
  let handle: DbHandle;
  beforeAll(async () => {
    // Nothing listens on port 1: every connection is refused.
    process.env.LOG_LEVEL = "silent"; // the failures below are expected; keep the test output clean
    handle = await openDb("postgres://postgres@127.0.0.1:1/nowhere", "pg");
    setDbHandle(handle);
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await handle.close();
    process.env.LOG_LEVEL = "error";
  });

  it("health answers 503 with status down", async () => {
    const res = await callJson<HealthReport>(health, "/api/health");
    expect(res.status).toBe(503);
    expect(res.body.status).toBe("down");
    expect(res.body.checks.database).toMatchObject({ status: "down", latencyMs: null });
    expect(res.body.checks.workflows.status).toBe("down");
  });

  it("an authenticated route answers 503 database_unavailable, not 500", async () => {
    const res = await callJson<{ error: { code: string } }>(listKeys, "/api/keys", {
      key: "aok_whateverwhateverwhateverwhateverwhatever12",
    });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("database_unavailable");
  });
});
