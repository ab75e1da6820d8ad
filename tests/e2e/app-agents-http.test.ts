/**
 * The running app (`npm start`: built, `next start`, embedded database, local worker) with
 * AGENT_TRANSPORT=http: a workflow's agent steps are signed POSTs from the worker to the app's
 * own agent routes, each its own route bundle, and /api/health/agents probes them over HTTP.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { SupplierSimulator, type RunningSimulator } from "@/integrations/supplier/simulator";
import { startApp, type RunningApp } from "../helpers/app-process";

let app: RunningApp;
// The supplier the app orders from: a simulator in this process, so the test can ship orders.
const supplier = new SupplierSimulator();
let supplierServer: RunningSimulator;
beforeAll(async () => {
  supplierServer = await supplier.start();
  app = await startApp({
    // The supplier is a third party under the outbound policy: its loopback simulator is listed.
    env: {
      AGENT_TRANSPORT: "http",
      HTTP_STEP_ALLOWED_HOSTS: "127.0.0.1",
      SUPPLIER_API_URL: supplierServer.url,
      SUPPLIER_APP_KEY: supplier.appKey,
      SUPPLIER_APP_SECRET: supplier.appSecret,
    },
  });
}, 9 * 60_000);
afterAll(async () => {
  await app?.stop();
  await supplierServer?.close();
});

const ORDER = {
  name: "#E2E-1",
  currency: "EUR",
  totalPrice: "29.70",
  lineItems: [{ sku: "MUG-1", title: "Mug", quantity: 3, price: "9.90" }],
  customer: { name: "Ada Lovelace", email: "ada@example.com" },
  shippingAddress: {
    name: "Ada Lovelace",
    address1: "12 St James's Square",
    city: "London",
    zip: "SW1Y 4JH",
    country_code: "GB",
    phone: "+44 20 7946 0000",
  },
};

type RunBody = {
  id: string;
  status: string;
  output: unknown;
  steps: { name: string; status: string; attempts: number }[];
};

async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  type = "application/json",
): Promise<{ status: number; body: T }> {
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

/** Polls until a run of `workflow` whose input names the order has ended (the worker runs it). */
async function finishedRun(workflow: string, orderId: string | null): Promise<RunBody> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const list = await api<{ runs: { id: string; status: string; input: { orderId?: string } | null }[] }>(
      "GET",
      `/api/orchestration/runs?workflow=${workflow}&limit=20`,
    );
    const run = list.body.runs.find((r) => orderId === null || r.input?.orderId === orderId);
    if (run && ["succeeded", "failed", "cancelled"].includes(run.status))
      return (await api<RunBody>("GET", `/api/orchestration/runs/${run.id}`)).body;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no finished ${workflow} run for ${orderId}`);
}

it("processes an order over signed HTTP agent calls: created by the API, submitted to the supplier, shipped, customer emailed", async () => {
  const created = await api<{ id: string }>("POST", "/api/orders", ORDER);
  expect(created.status).toBe(201);
  const orderId = created.body.id;

  // order.created started workflows/order_processing.yaml; the worker calls the agents over HTTP.
  const run = await finishedRun("order_processing", orderId);
  expect(run.status).toBe("succeeded");
  expect(supplier.orders.map((o) => o.outOrderId)).toEqual([orderId]);
  const agentCalls = requestLines().filter((l) => l.path?.startsWith("/api/agents/orders/") && l.method === "POST");
  expect(agentCalls.map((l) => [l.path, l.kind, l.status]).sort()).toEqual(
    [
      ["/api/agents/orders/check_inventory", "signed", 200],
      ["/api/agents/orders/notify_customer", "signed", 200],
      ["/api/agents/orders/prepare_supplier_order", "signed", 200],
      ["/api/agents/orders/submit_to_supplier", "signed", 200],
      ["/api/agents/orders/validate_order", "signed", 200],
    ].sort(),
  );

  // The supplier ships; the tracking workflow (cron, started here) publishes order.shipped,
  // which emails the customer.
  supplier.ship(supplier.orders[0]!.supplierOrderId);
  expect((await api("POST", "/api/workflows/order_tracking", {})).status).toBe(202);
  expect((await finishedRun("order_tracking", null)).status).toBe("succeeded");
  expect((await finishedRun("order_shipped", orderId)).status).toBe("succeeded");
  const order = await api<{ status: string }>("GET", `/api/orders/${orderId}`);
  expect(order.body.status).toBe("shipped");
  const outbox = await api<{ messages: { recipient: string; subject: string }[] }>("GET", "/api/outbox?channel=email");
  expect(outbox.body.messages.map((m) => [m.recipient, m.subject]).sort()).toEqual([
    ["a***@example.com", "Your order #E2E-1 has shipped"],
    ["a***@example.com", "Your order #E2E-1 is confirmed"],
  ]);
}, 120_000);

it("probes every agent's route over HTTP for /api/health/agents", async () => {
  const health = await api<{ agents: { name: string; status: string; circuit: string; probe: { ok: boolean } }[] }>(
    "GET",
    "/api/health/agents",
  );
  expect(health.status).toBe(200);
  const byName = Object.fromEntries(health.body.agents.map((a) => [a.name, a]));
  for (const name of ["design-ia", "automation", "ads", "core", "orders"]) {
    expect(byName[name]).toMatchObject({ status: "healthy", circuit: "closed", probe: { ok: true } });
  }
  const probes = requestLines().filter(
    (l) => l.method === "GET" && /^\/api\/agents\/[a-z-]+\/health$/.test(l.path ?? ""),
  );
  expect(probes.length).toBeGreaterThanOrEqual(5);
  expect(probes.every((l) => l.kind === "signed" && l.status === 200)).toBe(true);
}, 60_000);
