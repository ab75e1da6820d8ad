/**
 * The dashboard's schemas are the typed contract with the API: they must accept what the real
 * routes answer (called here with a real database and a real run), and their enums must be the
 * server's (spelled out in the browser code to keep drizzle out of the bundle).
 */
import { describe, expect, it, beforeAll } from "vitest";
import type { z } from "zod";
import { createApiKey } from "@/auth/api-keys";
import { GET as agentsHealth } from "@/app/api/health/agents/route";
import { GET as listAlerts } from "@/app/api/alerts/route";
import { GET as listEvents } from "@/app/api/events/route";
import { GET as metrics } from "@/app/api/metrics/route";
import { GET as listOutbox } from "@/app/api/outbox/route";
import { GET as getRun } from "@/app/api/orchestration/runs/[id]/route";
import { POST as cancelRun } from "@/app/api/orchestration/runs/[id]/cancel/route";
import { GET as listRuns } from "@/app/api/orchestration/runs/route";
import { GET as whoAmI, POST as signIn } from "@/app/api/session/route";
import { GET as monitoring } from "@/app/api/system/monitoring/route";
import { GET as listWorkflows } from "@/app/api/workflows/route";
import * as server from "@/db/schema";
import { startRun } from "@/engine/start-run";
import { metricsUrl } from "@/dashboard/hooks";
import * as s from "@/dashboard/schemas";
import type { RouteHandler } from "@/http/wrappers";
import { describeDb } from "../../helpers/db";
import { register, runUntilDone } from "../../helpers/engine";
import { call, callJson } from "../../helpers/http";

describe("the dashboard's enums", () => {
  it("are the server's", () => {
    expect(s.RUN_STATUSES).toEqual(server.RUN_STATUSES);
    expect(s.STEP_STATUSES).toEqual(server.STEP_STATUSES);
    expect(s.CIRCUIT_STATES).toEqual(server.CIRCUIT_STATES);
    expect(s.ALERT_SEVERITIES).toEqual(server.ALERT_SEVERITIES);
    expect(s.ALERT_STATES).toEqual(server.ALERT_STATES);
    expect(s.ROLES).toEqual(server.ROLES);
  });
});

describe("the schemas", () => {
  it("refuse a response of the wrong shape (they are a contract, not a formality)", () => {
    expect(s.runListSchema.safeParse({ runs: [{ id: "x" }], nextCursor: null }).success).toBe(false);
    expect(s.agentsHealthSchema.safeParse({ agents: [{ name: "a", status: "fine" }] }).success).toBe(false);
    expect(s.seriesSchema.safeParse({ series: [{ bucket: "not a date", count: 0 }] }).success).toBe(false);
  });
});

describeDb("the dashboard's schemas against the real routes", (suite) => {
  let viewer: string;
  let operator: string;
  let doneRunId: string;
  let sleepingRunId: string;

  beforeAll(async () => {
    viewer = (await createApiKey(suite.db(), { name: "contract viewer", role: "viewer" })).key;
    operator = (await createApiKey(suite.db(), { name: "contract operator", role: "operator" })).key;
    await register(
      suite.db(),
      "name: contract_quick\nsteps:\n  - name: say\n    emit:\n      topic: contract.said\n      data: { n: 1 }\n  - name: nap\n    depends_on: say\n    sleep: 10ms\n",
    );
    await register(suite.db(), "name: contract_sleepy\nsteps:\n  - name: nap\n    sleep: 1h\n");
    doneRunId = (await startRun(suite.db(), { workflow: "contract_quick", input: {} })).id;
    await runUntilDone(suite.db(), doneRunId);
    sleepingRunId = (await startRun(suite.db(), { workflow: "contract_sleepy", input: {} })).id;
  });

  async function parsed<S extends z.ZodType>(
    handler: RouteHandler,
    path: string,
    schema: S,
    params?: Record<string, string>,
  ): Promise<z.output<S>> {
    const res = await callJson(handler, path, { key: viewer, params });
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
    const result = schema.safeParse(res.body);
    expect(result.error?.issues ?? [], path).toEqual([]);
    return result.data!;
  }

  it("parse every GET the page makes", async () => {
    const agents = await parsed(agentsHealth, "/api/health/agents", s.agentsHealthSchema);
    expect(agents.agents.length).toBeGreaterThan(0);
    await parsed(monitoring, "/api/system/monitoring", s.monitoringSchema);
    const workflows = await parsed(listWorkflows, "/api/workflows", s.workflowsSchema);
    expect(workflows.workflows.map((w) => w.name)).toContain("contract_quick");
    const runs = await parsed(listRuns, "/api/orchestration/runs?limit=50", s.runListSchema);
    expect(runs.runs.map((r) => r.id)).toContain(doneRunId);
    const run = await parsed(getRun, `/api/orchestration/runs/${doneRunId}`, s.runSchema, { id: doneRunId });
    expect(run.status).toBe("succeeded");
    // Attempts are recorded for work (the emit); a sleep has none, only its start and end times.
    expect(run.steps.find((step) => step.name === "say")!.history).toHaveLength(1);
    expect(run.steps.find((step) => step.name === "nap")).toMatchObject({
      history: [],
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
    });
    const series = await parsed(metrics, metricsUrl(null, "1h", Date.now()), s.seriesSchema);
    expect(series.series.length).toBeGreaterThanOrEqual(60);
    await parsed(metrics, metricsUrl("core", "24h", Date.now()), s.seriesSchema);
    await parsed(listAlerts, "/api/alerts?state=active&limit=50", s.alertListSchema);
    await parsed(listOutbox, "/api/outbox?limit=20", s.outboxSchema);
    const events = await parsed(listEvents, "/api/events?limit=50", s.eventListSchema);
    expect(events.events.some((e) => e.topic === "contract.said")).toBe(true);
  });

  it("parse the answer of an action (cancel) and of the session", async () => {
    const res = await callJson(cancelRun, `/api/orchestration/runs/${sleepingRunId}/cancel`, {
      method: "POST",
      key: operator,
      params: { id: sleepingRunId },
    });
    expect(res.status).toBe(200);
    expect(s.runSchema.parse(res.body).status).toBe("cancelled");
    const login = await call(signIn, "/api/session", {
      method: "POST",
      body: { apiKey: viewer },
      headers: { "x-forwarded-for": "203.0.113.9" },
    });
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    expect(s.sessionSchema.parse(await login.json()).role).toBe("viewer");
    expect(s.sessionSchema.parse((await callJson(whoAmI, "/api/session", { headers: { cookie } })).body).role).toBe(
      "viewer",
    );
  });
});
