/**
 * The agents' health probes can fail: each probe runs what its agent needs (the database, its
 * configured providers) in both transports, and reports `down` or `degraded` with the reason,
 * never a secret. `/api/health/agents` (the dashboard's source) shows it.
 */
import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { probeAgent } from "@/agents/health";
import { clearProbeCache } from "@/agents/probe";
import { GET as agentsHealthRoute } from "@/app/api/health/agents/route";
import { createApiKey } from "@/auth/api-keys";
import { signRequest } from "@/auth/signature";
import { getDbHandle, openDb, setDbHandle, type DbHandle } from "@/db/client";
import { agentsHealthSchema } from "@/dashboard/schemas";
import { getSecret } from "@/env";
import { agentGet } from "@/http/agent-route";
import { SupplierSimulator, type RunningSimulator } from "@/integrations/supplier/simulator";
import { startAppServer, type AppServer } from "../helpers/app-server";
import { describeDb } from "../helpers/db";
import { call, callJson } from "../helpers/http";
import { startSmtpServer, type FakeSmtpServer } from "../helpers/smtp";

const AGENTS = ["design-ia", "automation", "ads", "core", "orders"] as const;
const ENV_KEYS = [
  "AGENT_TRANSPORT",
  "PUBLIC_BASE_URL",
  "SMTP_URL",
  "SUPPLIER_API_URL",
  "SUPPLIER_APP_KEY",
  "SUPPLIER_APP_SECRET",
  "ANTHROPIC_API_KEY",
  "BLOB_READ_WRITE_TOKEN",
  "GOOGLE_ADS_DEVELOPER_TOKEN",
  "HTTP_STEP_ALLOWED_HOSTS",
];
const SECRET = "s3cret-pass-word";

/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface HealthBody {
  agents: {
    name: string;
    status: string;
    probe: { ok: boolean; status: string; error?: string; checks: { name: string; status: string; detail?: string }[] };
  }[];
}

let smtp: FakeSmtpServer;
let app: AppServer;
let supplier: RunningSimulator;
const simulator = new SupplierSimulator();
beforeAll(async () => {
  smtp = await startSmtpServer();
  supplier = await simulator.start();
  app = await startAppServer(
    AGENTS.map((name) => ({
      pattern: new RegExp(`^/api/agents/${name}/(?<action>[^/]+)$`),
      handlers: { GET: agentGet(name) },
    })),
  );
});
afterAll(async () => {
  await smtp.close();
  await supplier.close();
  await app.close();
});
afterEach(() => {
  for (const k of ENV_KEYS) delete process.env[k];
  clearProbeCache();
});

describeDb("agent health probes", (suite) => {
  let viewer = "";
  beforeAll(async () => {
    viewer = (await createApiKey(suite.db(), { name: "probe viewer", role: "viewer" })).key;
  });
  const health = async () => {
    const res = await callJson<HealthBody>(agentsHealthRoute, "/api/health/agents", { key: viewer });
    expect(res.status).toBe(200);
    expect(agentsHealthSchema.safeParse(res.body).success).toBe(true); // what the dashboard reads
    return Object.fromEntries(res.body.agents.map((a) => [a.name, a]));
  };

  it("reports every agent ok when the database answers and its configured providers do", async () => {
    process.env.SMTP_URL = smtp.url();
    // A configured supplier is probed under the outbound policy: the loopback simulator is listed.
    process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
    process.env.SUPPLIER_API_URL = supplier.url;
    process.env.SUPPLIER_APP_KEY = simulator.appKey;
    process.env.SUPPLIER_APP_SECRET = simulator.appSecret;
    for (const agent of AGENTS) {
      const probe = await probeAgent(suite.db(), agent);
      expect(probe.status, agent).toBe("ok");
      expect(probe.checks.find((c) => c.name === "database")?.status).toBe("ok");
    }
    expect((await probeAgent(suite.db(), "core")).checks.find((c) => c.name === "smtp")?.status).toBe("ok");
    expect((await probeAgent(suite.db(), "orders")).checks.find((c) => c.name === "supplier")?.status).toBe("ok");
    const byName = await health();
    for (const agent of AGENTS)
      expect(byName[agent]).toMatchObject({ status: "healthy", probe: { ok: true, status: "ok" } });
  });

  it("reports core and orders degraded when SMTP points at a closed loopback port, naming the reason without the password", async () => {
    process.env.SMTP_URL = `smtp://mailer:${SECRET}@127.0.0.1:${await closedPort()}`;
    const probe = await probeAgent(suite.db(), "core");
    expect(probe.status).toBe("degraded");
    expect(probe.checks.find((c) => c.name === "smtp")).toMatchObject({
      status: "degraded",
      detail: expect.stringMatching(/could not be reached.*ECONNREFUSED/),
    });
    const byName = await health();
    expect(byName.core).toMatchObject({
      status: "degraded",
      probe: { ok: false, status: "degraded", error: expect.stringMatching(/^smtp: /) },
    });
    expect(byName.orders).toMatchObject({ status: "degraded" });
    expect(byName["design-ia"]).toMatchObject({ status: "healthy" });
    expect(JSON.stringify(byName)).not.toContain(SECRET);
  });

  it("reports orders degraded when the configured supplier API is unreachable, or configured half-way", async () => {
    process.env.SUPPLIER_API_URL = `http://127.0.0.1:${await closedPort()}`;
    process.env.SUPPLIER_APP_KEY = "key";
    process.env.SUPPLIER_APP_SECRET = SECRET;
    // Not listed: the outbound policy refuses the loopback address before any connection.
    const refused = await probeAgent(suite.db(), "orders");
    expect(refused.checks.find((c) => c.name === "supplier")).toMatchObject({
      status: "degraded",
      detail: expect.stringMatching(/^the supplier API URL is refused: outbound policy: host "127\.0\.0\.1"/),
    });
    clearProbeCache();
    process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
    const unreachable = await probeAgent(suite.db(), "orders");
    expect(unreachable.status).toBe("degraded");
    expect(unreachable.checks.find((c) => c.name === "supplier")?.detail).toMatch(/could not be reached/);
    delete process.env.SUPPLIER_APP_SECRET;
    const halfConfigured = await probeAgent(suite.db(), "orders");
    expect(halfConfigured.checks.find((c) => c.name === "supplier")).toMatchObject({
      status: "degraded",
      detail: expect.stringContaining("SUPPLIER_APP_SECRET"),
    });
  });

  it("reports malformed provider credentials as degraded without echoing them", async () => {
    process.env.ANTHROPIC_API_KEY = `not-a-key-${SECRET}`;
    process.env.BLOB_READ_WRITE_TOKEN = `blob-${SECRET}`;
    process.env.GOOGLE_ADS_DEVELOPER_TOKEN = SECRET; // one of five: a launch cannot work
    const [design, automation, ads] = await Promise.all(
      ["design-ia", "automation", "ads"].map((a) => probeAgent(suite.db(), a)),
    );
    expect(design!.checks.find((c) => c.name === "language_model")).toMatchObject({
      status: "degraded",
      detail: expect.stringContaining("ANTHROPIC_API_KEY"),
    });
    expect(automation!.checks.find((c) => c.name === "blob")).toMatchObject({ status: "degraded" });
    expect(ads!.checks.find((c) => c.name === "google_ads")).toMatchObject({
      status: "degraded",
      detail: expect.stringContaining("GOOGLE_ADS_CLIENT_ID"),
    });
    expect([design, automation, ads].map((p) => p!.status)).toEqual(["degraded", "degraded", "degraded"]);
    expect(JSON.stringify([design, automation, ads])).not.toContain(SECRET);
  });

  it("runs the same probe over the http transport: the agent's route answers it, /api/health/agents shows it", async () => {
    process.env.AGENT_TRANSPORT = "http";
    process.env.PUBLIC_BASE_URL = app.base;
    process.env.SMTP_URL = `smtp://127.0.0.1:${await closedPort()}`;
    const byName = await health();
    expect(byName.core).toMatchObject({
      status: "degraded",
      probe: { ok: false, status: "degraded", error: expect.stringMatching(/^smtp: .*ECONNREFUSED/) },
    });
    expect(byName.ads).toMatchObject({ status: "healthy", probe: { ok: true } });
    expect(app.requests.filter((r) => r.method === "GET" && r.path === "/api/agents/core/health").at(-1)?.status).toBe(
      200,
    );
  });

  it("reuses a networked check's result for a while, so polling the probe opens no stream of connections", async () => {
    let connections = 0;
    const counter = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => counter.listen(0, "127.0.0.1", resolve));
    try {
      process.env.SMTP_URL = `smtp://127.0.0.1:${(counter.address() as { port: number }).port}`;
      for (let i = 0; i < 3; i++) expect((await probeAgent(suite.db(), "core")).status).toBe("degraded");
      expect(connections).toBe(1);
      clearProbeCache();
      await probeAgent(suite.db(), "core");
      expect(connections).toBe(2);
    } finally {
      await new Promise<void>((resolve) => counter.close(() => resolve()));
    }
  });

  it("reports down when the database is closed or unreachable, in process and through the agent's route (503)", async () => {
    // A closed pool (a fresh PGlite would do too, but takes seconds to open on a busy machine).
    const closed = await openDb(`postgres://postgres@127.0.0.1:${await closedPort()}/nowhere`, "pg");
    await closed.close();
    const inProcess = await probeAgent(closed.db, "design-ia");
    expect(inProcess.status).toBe("down");
    expect(inProcess.checks.find((c) => c.name === "database")).toMatchObject({
      status: "down",
      detail: "the database did not answer",
    });

    const saved = await getDbHandle();
    const unreachable: DbHandle = await openDb(
      `postgres://postgres:${SECRET}@127.0.0.1:${await closedPort()}/nowhere`,
      "pg",
    );
    setDbHandle(unreachable);
    try {
      const res = await call(agentGet("core"), "/api/agents/core/health", {
        params: { action: "health" },
        headers: {
          "x-orchestrator-signature": signRequest(getSecret("INTER_AGENT_SECRET"), {
            method: "GET",
            path: "/api/agents/core/health",
            body: "",
          }),
        },
      });
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ agent: "core", status: "down" });
      expect(text).not.toContain(SECRET);
    } finally {
      setDbHandle(saved);
      await unreachable.close();
    }
  });
});
