/**
 * The running app (`npm start`: built, `next start`, embedded database, local worker) with
 * AGENT_TRANSPORT=http: a workflow's agent steps are signed POSTs from the worker to the app's
 * own agent routes, each its own route bundle, and /api/health/agents probes them over HTTP.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startApp, type RunningApp } from "../helpers/app-process";

let app: RunningApp;
beforeAll(async () => {
  app = await startApp({ env: { AGENT_TRANSPORT: "http" } });
}, 9 * 60_000);
afterAll(async () => {
  await app?.stop();
});

const ORDER = {
  id: "ord-e2e",
  shopifyId: "1001",
  shopDomain: "shop.example",
  name: "#1001",
  currency: "EUR",
  totalPrice: "29.70",
  financialStatus: "paid",
  status: "open",
  lineItems: [{ sku: "MUG-1", title: "Mug", quantity: 3, price: "9.90" }],
  customer: { name: "Ada", email: "ada@example.com", phone: null },
  createdAt: "2026-11-30T10:00:00Z",
  updatedAt: "2026-11-30T10:00:00Z",
};

async function api<T>(method: string, path: string, body?: unknown, type = "application/json"): Promise<{ status: number; body: T }> {
  const res = await fetch(app.base + path, {
    method,
    headers: { authorization: `Bearer ${app.adminKey()}`, ...(body === undefined ? {} : { "content-type": type }) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

interface LogLine {
  msg?: string;
  kind?: string;
  method?: string;
  path?: string;
  status?: number;
}

function requestLines(): LogLine[] {
  return app
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => l.msg === "request");
}

it("runs a workflow whose agent steps go over signed HTTP to the app's agent routes", async () => {
  const yaml = `name: e2e_orders
steps:
  - name: validate
    agent: orders
    action: validate_order
    input: { order: "{{ input.order }}" }
  - name: prepare
    depends_on: validate
    agent: orders
    action: prepare_supplier_order
    input: { order: "{{ input.order }}" }
`;
  expect((await api("PUT", "/api/workflows/e2e_orders", yaml, "application/yaml")).status).toBe(201);
  const started = await api<{ id: string }>("POST", "/api/workflows/e2e_orders", { input: { order: ORDER } });
  expect(started.status).toBe(202);
  let run: { status: string; output: unknown; steps: { name: string; status: string; attempts: number }[] } | undefined;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    run = (await api<NonNullable<typeof run>>("GET", `/api/orchestration/runs/${started.body.id}`)).body;
    if (["succeeded", "failed", "cancelled"].includes(run.status)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(run?.status).toBe("succeeded");
  expect(run?.output).toEqual({ prepare: { outOrderId: "ord-e2e", currency: "EUR", lines: [{ sku: "MUG-1", quantity: 3 }], shipTo: { name: "Ada", email: "ada@example.com", phone: null } } });
  const agentCalls = requestLines().filter((l) => l.path?.startsWith("/api/agents/orders/") && l.method === "POST");
  expect(agentCalls.map((l) => [l.path, l.kind, l.status])).toEqual([
    ["/api/agents/orders/validate_order", "signed", 200],
    ["/api/agents/orders/prepare_supplier_order", "signed", 200],
  ]);
}, 90_000);

it("probes every agent's route over HTTP for /api/health/agents", async () => {
  const health = await api<{ agents: { name: string; status: string; circuit: string; probe: { ok: boolean } }[] }>("GET", "/api/health/agents");
  expect(health.status).toBe(200);
  const byName = Object.fromEntries(health.body.agents.map((a) => [a.name, a]));
  for (const name of ["design-ia", "automation", "ads", "core", "orders"]) {
    expect(byName[name]).toMatchObject({ status: "healthy", circuit: "closed", probe: { ok: true } });
  }
  const probes = requestLines().filter((l) => l.method === "GET" && /^\/api\/agents\/[a-z-]+\/health$/.test(l.path ?? ""));
  expect(probes.length).toBeGreaterThanOrEqual(5);
  expect(probes.every((l) => l.kind === "signed" && l.status === 200)).toBe(true);
}, 60_000);
