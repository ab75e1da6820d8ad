/**
 * Agents behind their routes: the catalog, manual and signed calls (forged, expired and
 * replayed signatures refused), both transports running the same workflow, async actions
 * answered by callback, and the gateway (circuit breaker, rate limit) with its health view.
 */
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { registerAgent } from "@/agents/catalog";
import { accepted, defineAction, defineAgent } from "@/agents/framework";
import { GET as listAgents } from "@/app/api/agents/route";
import { GET as agentsHealth } from "@/app/api/health/agents/route";
import { POST as taskCallback } from "@/app/api/orchestration/webhooks/route";
import { PUT as putWorkflow } from "@/app/api/workflows/[name]/route";
import { createApiKey } from "@/auth/api-keys";
import { signRequest } from "@/auth/signature";
import { queryRows, type Db } from "@/db/client";
import { getSecret } from "@/env";
import { cancelRun, getRun } from "@/engine/runs";
import { startRun, startRuns } from "@/engine/start-run";
import { tick } from "@/engine/tick";
import { agentGet, agentPost } from "@/http/agent-route";
import { createOrder, createOrderInput } from "@/orders/manage";
import { startAppServer, type AppServer } from "../helpers/app-server";
import { describeDb } from "../helpers/db";
import { register, runUntilDone, stepOf } from "../helpers/engine";
import { call, callJson } from "../helpers/http";

/** The stored order the orders agent's actions are called with (they take its id; see beforeAll). */
const ORDER_INPUT = {
  name: "#1001",
  currency: "EUR",
  totalPrice: "39.80",
  financialStatus: "paid" as const,
  lineItems: [
    { sku: "MUG-1", title: "Mug", quantity: 2, price: "9.90" },
    { sku: "TEE-2", title: "T-shirt", quantity: 1, price: "20.00" },
  ],
  customer: { name: "Ada", email: "ada@example.com" },
};
const ORDER = { orderId: "" };

const ORDER_FLOW = `
name: order_check
steps:
  - name: validate
    agent: orders
    action: validate_order
    input: { orderId: "{{ input.orderId }}" }
  - name: prepare
    depends_on: validate
    agent: orders
    action: prepare_supplier_order
    input: { orderId: "{{ input.orderId }}" }
`;

/** Test agents: an async action, one that fails on demand, one behind a rate limit. */
const tasks: string[] = [];
const flaky = { failing: false, calls: 0 };
const limitedCalls: number[] = [];
/** Fails two calls out of three: never three failures in a row, but a 67 % error rate. */
const patchy = { calls: 0 };

beforeAll(() => {
  registerAgent(
    defineAgent({
      name: "async-demo",
      description: "Answers later.",
      actions: {
        start: defineAction({
          description: "Accepts the work and calls back.",
          input: z.strictObject({ n: z.number() }),
          output: z.strictObject({ doubled: z.number() }),
          handler: async (_input, ctx) => {
            tasks.push(ctx.taskId ?? "");
            return accepted();
          },
        }),
      },
    }),
  );
  registerAgent(
    defineAgent({
      name: "flaky",
      description: "Fails while told to.",
      actions: {
        go: defineAction({
          description: "Fails while flaky.failing.",
          input: z.strictObject({}),
          output: z.strictObject({ ok: z.boolean() }),
          handler: async () => {
            flaky.calls++;
            if (flaky.failing) throw new Error("flaky is down");
            return { ok: true };
          },
        }),
      },
    }),
  );
  registerAgent(
    defineAgent({
      name: "patchy",
      description: "Fails two calls out of three.",
      actions: {
        go: defineAction({
          description: "Fails unless the call count is a multiple of three.",
          input: z.strictObject({}),
          output: z.strictObject({ ok: z.boolean() }),
          handler: async () => {
            patchy.calls++;
            if (patchy.calls % 3 !== 0) throw new Error("patchy failed");
            return { ok: true };
          },
        }),
      },
    }),
  );
  registerAgent(
    defineAgent({
      name: "limited",
      description: "Rate limited.",
      actions: {
        go: defineAction({
          description: "Records when it ran.",
          input: z.strictObject({}),
          output: z.strictObject({ at: z.number() }),
          handler: async () => {
            limitedCalls.push(Date.now());
            return { at: Date.now() };
          },
        }),
      },
    }),
  );
});

const ENV_KEYS = [
  "AGENT_TRANSPORT",
  "PUBLIC_BASE_URL",
  "AGENT_BREAKER_FAILURES",
  "AGENT_BREAKER_COOLDOWN_MS",
  "AGENT_BREAKER_ERROR_RATE",
  "AGENT_RATE_LIMITS",
];
afterEach(() => {
  for (const k of ENV_KEYS) delete process.env[k];
});

let server: AppServer;
beforeAll(async () => {
  const agents = ["design-ia", "automation", "ads", "core", "orders", "async-demo", "flaky", "limited"];
  server = await startAppServer([
    ...agents.map((name) => ({
      pattern: new RegExp(`^/api/agents/${name}/(?<action>[^/]+)$`),
      handlers: { POST: agentPost(name), GET: agentGet(name) },
    })),
    { pattern: /^\/api\/orchestration\/webhooks$/, handlers: { POST: taskCallback } },
  ]);
});
afterAll(async () => {
  await server.close();
});

/** A signed POST of `body` to `path`, as the engine signs it (method, path and body). */
function signed(
  body: unknown,
  t?: number,
  path = "/api/agents/orders/validate_order",
): { body: string; headers: Record<string, string> } {
  const raw = JSON.stringify(body);
  const signature = signRequest(getSecret("INTER_AGENT_SECRET"), { method: "POST", path, body: raw }, t);
  return { body: raw, headers: { "content-type": "application/json", "x-orchestrator-signature": signature } };
}

function envelope(input: unknown, nonce = crypto.randomUUID()) {
  return { input, call: { idempotencyKey: null, attempt: 1, taskId: null, nonce } };
}

async function callback(
  body: unknown,
): Promise<{ status: number; body: { duplicate?: boolean; status?: string; error?: { code: string } } }> {
  const s = signed(body, undefined, "/api/orchestration/webhooks");
  return callJson(taskCallback, "/api/orchestration/webhooks", { method: "POST", body: s.body, headers: s.headers });
}

async function drive(db: Db, until: () => Promise<boolean>, maxMs = 15_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (!(await until())) {
    if (Date.now() > deadline)
      throw new Error(
        `condition not reached in time: ${JSON.stringify(await queryRows(db, sql`select name, kind, status, attempts, error from steps order by id desc limit 3`))}`,
      );
    const r = await tick(db, { budgetMs: 60_000, alwaysSweep: true });
    if (r.claimed === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeDb("agents over their routes", (suite) => {
  const keys = { viewer: "", operator: "", admin: "" };
  beforeAll(async () => {
    for (const role of ["viewer", "operator", "admin"] as const)
      keys[role] = (await createApiKey(suite.db(), { name: `agents ${role}`, role })).key;
    ORDER.orderId = (await createOrder(suite.db(), createOrderInput.parse(ORDER_INPUT))).id;
  });
  const post = agentPost("orders");

  describe("the catalog and the routes", () => {
    it("lists the five agents with their actions' JSON Schemas and timeouts", async () => {
      const res = await callJson<{
        agents: {
          name: string;
          actions: { name: string; input: { type?: string }; output: unknown; timeoutMs: number }[];
        }[];
      }>(listAgents, "/api/agents", { key: keys.viewer });
      expect(res.status).toBe(200);
      const names = res.body.agents.map((a) => a.name);
      for (const name of ["design-ia", "automation", "ads", "core", "orders"]) expect(names).toContain(name);
      const validate = res.body.agents
        .find((a) => a.name === "orders")!
        .actions.find((a) => a.name === "validate_order")!;
      expect(validate.input.type).toBe("object");
      expect(validate.timeoutMs).toBe(15_000);
    });

    it("runs an action for an operator key, refuses viewers, bad input (400 with the issues) and unknown actions (404)", async () => {
      const ok = await callJson<{ valid: boolean; itemCount: number }>(post, "/api/agents/orders/validate_order", {
        method: "POST",
        key: keys.operator,
        body: ORDER,
        params: { action: "validate_order" },
      });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ valid: true, itemCount: 3 });
      const viewer = await call(post, "/api/agents/orders/validate_order", {
        method: "POST",
        key: keys.viewer,
        body: ORDER,
        params: { action: "validate_order" },
      });
      expect(viewer.status).toBe(403);
      const anonymous = await call(post, "/api/agents/orders/validate_order", {
        method: "POST",
        body: ORDER,
        params: { action: "validate_order" },
      });
      expect(anonymous.status).toBe(401);
      const bad = await callJson<{ error: { code: string; details: { path: string }[] } }>(
        post,
        "/api/agents/orders/validate_order",
        {
          method: "POST",
          key: keys.operator,
          body: { orderId: "ord-1" },
          params: { action: "validate_order" },
        },
      );
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe("validation_failed");
      expect(bad.body.error.details.map((d) => d.path)).toContain("orderId");
      const unknown = await call(post, "/api/agents/orders/no_such_action", {
        method: "POST",
        key: keys.operator,
        body: {},
        params: { action: "no_such_action" },
      });
      expect(unknown.status).toBe(404);
    });

    it("accepts a signed call once, and refuses forged, expired and replayed signatures (401)", async () => {
      const path = "/api/agents/orders/validate_order";
      const params = { action: "validate_order" };
      const good = signed(envelope(ORDER));
      expect((await call(post, path, { method: "POST", body: good.body, headers: good.headers, params })).status).toBe(
        200,
      );
      const replayed = await callJson<{ error: { message: string } }>(post, path, {
        method: "POST",
        body: good.body,
        headers: good.headers,
        params,
      });
      expect(replayed.status).toBe(401);
      expect(replayed.body.error.message).toMatch(/replay/);
      const other = signed(envelope(ORDER));
      const forged = {
        ...other.headers,
        "x-orchestrator-signature": other.headers["x-orchestrator-signature"]!.replace(/v1=./, (m) =>
          m.endsWith("0") ? "v1=1" : "v1=0",
        ),
      };
      expect((await call(post, path, { method: "POST", body: other.body, headers: forged, params })).status).toBe(401);
      const tampered = other.body.replace(
        ORDER.orderId,
        ORDER.orderId.replace(/^./, (c) => (c === "0" ? "1" : "0")),
      );
      expect(tampered).not.toBe(other.body);
      expect((await call(post, path, { method: "POST", body: tampered, headers: other.headers, params })).status).toBe(
        401,
      );
      const old = signed(envelope(ORDER), Math.floor(Date.now() / 1000) - 600);
      expect((await call(post, path, { method: "POST", body: old.body, headers: old.headers, params })).status).toBe(
        401,
      );
    });

    it("refuses a captured call replayed with a junk v1 in front of its MAC (the replay guard records what was verified)", async () => {
      const path = "/api/agents/orders/validate_order";
      const params = { action: "validate_order" };
      const good = signed(envelope(ORDER));
      expect((await call(post, path, { method: "POST", body: good.body, headers: good.headers, params })).status).toBe(
        200,
      );
      const header = good.headers["x-orchestrator-signature"]!;
      const disguised = {
        ...good.headers,
        "x-orchestrator-signature": header.replace("v1=", `v1=${"0".repeat(64)},v1=`),
      };
      expect((await call(post, path, { method: "POST", body: good.body, headers: disguised, params })).status).toBe(
        401,
      );
    });

    it("refuses at registration a workflow naming an unknown agent or action, naming the place", async () => {
      const put = (yaml: string) =>
        callJson<{ error: { code: string; details: { path: string; message: string }[] } }>(
          putWorkflow,
          "/api/workflows/ghostly",
          {
            method: "PUT",
            key: keys.admin,
            body: yaml,
            headers: { "content-type": "application/yaml" },
            params: { name: "ghostly" },
          },
        );
      const agent = await put("name: ghostly\nsteps:\n  - name: a\n    agent: ghost\n    action: boo\n");
      expect(agent.status).toBe(400);
      expect(agent.body.error.code).toBe("invalid_definition");
      expect(agent.body.error.details).toContainEqual({ path: "steps[0].agent", message: 'unknown agent "ghost"' });
      const action = await put("name: ghostly\nsteps:\n  - name: a\n    agent: orders\n    action: boo\n");
      expect(action.status).toBe(400);
      expect(action.body.error.details).toContainEqual({
        path: "steps[0].action",
        message: 'agent "orders" has no action "boo"',
      });
    });

    it("gives an agent step without a timeout its action's timeout", async () => {
      await register(suite.db(), ORDER_FLOW);
      const { id } = await startRun(suite.db(), { workflow: "order_check", input: ORDER });
      const rows = await queryRows<{ name: string; timeout_ms: unknown }>(
        suite.db(),
        sql`select name, timeout_ms from steps where run_id = ${id} order by name`,
      );
      expect(rows.map((r) => [r.name, Number(r.timeout_ms)])).toEqual([
        ["prepare", 15_000],
        ["validate", 15_000],
      ]);
      await runUntilDone(suite.db(), id);
    });
  });

  for (const transport of ["inline", "http"] as const) {
    describe(`the ${transport} transport`, () => {
      const use = () => {
        process.env.AGENT_TRANSPORT = transport;
        process.env.PUBLIC_BASE_URL = server.base;
      };

      it("runs a workflow of agent steps, each call validated and signed", async () => {
        use();
        await register(suite.db(), ORDER_FLOW);
        const before = server.requests.length;
        const { id } = await startRun(suite.db(), { workflow: "order_check", input: ORDER });
        const run = await runUntilDone(suite.db(), id);
        expect(run.status).toBe("succeeded");
        expect(stepOf(run, "validate").output).toEqual({ valid: true, itemCount: 3, computedTotal: "39.80" });
        expect(run.output).toEqual({
          prepare: {
            orderId: ORDER.orderId,
            supplierId: expect.any(String),
            currency: "EUR",
            lines: [
              { sku: "MUG-1", quantity: 2 },
              { sku: "TEE-2", quantity: 1 },
            ],
          },
        });
        // Ids, SKUs and counts only: the customer's data never enters the run.
        expect(JSON.stringify(run)).not.toMatch(/ada@example\.com|Ada/);
        const served = server.requests.slice(before).filter((r) => r.path.startsWith("/api/agents/orders/"));
        expect(served.map((r) => r.status)).toEqual(transport === "http" ? [200, 200] : []);
      });

      it("fails a step at once when the agent refuses its input, and retries nothing", async () => {
        use();
        await register(suite.db(), ORDER_FLOW);
        const { id } = await startRun(suite.db(), { workflow: "order_check", input: { orderId: "none" } });
        const run = await runUntilDone(suite.db(), id);
        expect(run.status).toBe("failed");
        expect(stepOf(run, "validate").attempts).toBe(1);
        expect(JSON.stringify(stepOf(run, "validate").error)).toMatch(/invalid/);
      });

      it("waits for an async action's callback: progress shown, completion continues the run, duplicates and stale callbacks change nothing", async () => {
        use();
        const db = suite.db();
        await register(
          db,
          `
name: async_flow
steps:
  - name: work
    agent: async-demo
    action: start
    input: { n: 21 }
    timeout: 20s
  - name: after
    depends_on: work
    emit: { topic: async.done, data: "{{ steps.work.output }}" }
`,
        );
        tasks.length = 0;
        const { id } = await startRun(db, { workflow: "async_flow" });
        await drive(db, async () => stepOf(await getRun(db, id), "work").status === "waiting");
        const taskId = tasks.at(-1)!;
        expect(taskId).toMatch(/^\d+\.\d+$/);

        expect((await callback({ type: "task_progress", taskId, progress: { percent: 40 } })).status).toBe(200);
        expect(stepOf(await getRun(db, id), "work")).toMatchObject({ status: "waiting", progress: { percent: 40 } });

        const done = await callback({ type: "task_completed", taskId, output: { doubled: 42 } });
        expect(done).toMatchObject({ status: 200, body: { duplicate: false, status: "succeeded" } });
        const run = await runUntilDone(db, id);
        expect(run.status).toBe("succeeded");
        expect(stepOf(run, "work")).toMatchObject({ status: "succeeded", output: { doubled: 42 }, attempts: 1 });
        expect(stepOf(run, "after").input).toEqual({ topic: "async.done", data: { doubled: 42 } });

        const again = await callback({ type: "task_completed", taskId, output: { doubled: 42 } });
        expect(again).toMatchObject({ status: 200, body: { duplicate: true } });
        const late = await callback({ type: "task_failed", taskId, error: "too late" });
        expect(late.status).toBe(409);
        const progress = await callback({ type: "task_progress", taskId, progress: { percent: 99 } });
        expect(progress.status).toBe(409);
        const [stepId, fence] = taskId.split(".");
        expect((await callback({ type: "task_completed", taskId: `${stepId}.${Number(fence) + 1000}` })).status).toBe(
          409,
        );
        expect((await callback({ type: "task_completed", taskId: "999999999.1" })).status).toBe(409);
        expect((await callback({ type: "task_completed", taskId: "not-a-task" })).status).toBe(409);
        expect(stepOf(await getRun(db, id), "work").output).toEqual({ doubled: 42 });
      });

      it("refuses (409) a callback for an attempt whose run was cancelled", async () => {
        use();
        const db = suite.db();
        await register(
          db,
          "name: async_cancel\nsteps:\n  - name: work\n    agent: async-demo\n    action: start\n    input: { n: 2 }\n    timeout: 20s\n",
        );
        const { id } = await startRun(db, { workflow: "async_cancel" });
        await drive(db, async () => stepOf(await getRun(db, id), "work").status === "waiting");
        await cancelRun(db, id);
        const late = await callback({ type: "task_completed", taskId: tasks.at(-1)!, output: { doubled: 4 } });
        expect(late.status).toBe(409);
        expect(stepOf(await getRun(db, id), "work")).toMatchObject({ status: "cancelled", output: null });
      });

      it("fails the step when the callback reports a failure", async () => {
        use();
        const db = suite.db();
        await register(
          db,
          "name: async_fail\nsteps:\n  - name: work\n    agent: async-demo\n    action: start\n    input: { n: 1 }\n    retry: { max_attempts: 1 }\n",
        );
        const { id } = await startRun(db, { workflow: "async_fail" });
        await drive(db, async () => stepOf(await getRun(db, id), "work").status === "waiting");
        const failed = await callback({
          type: "task_failed",
          taskId: tasks.at(-1)!,
          error: { message: "render farm on fire" },
        });
        expect(failed).toMatchObject({ status: 200, body: { status: "failed" } });
        const run = await runUntilDone(db, id);
        expect(run.status).toBe("failed");
        expect(stepOf(run, "work").error).toMatchObject({ message: "render farm on fire" });
      });
    });
  }

  describe("the gateway", () => {
    it("opens an agent's circuit after consecutive failures, defers its steps without using attempts, and closes it through a half-open probe", async () => {
      process.env.AGENT_BREAKER_FAILURES = "3";
      process.env.AGENT_BREAKER_COOLDOWN_MS = "500";
      const db = suite.db();
      flaky.failing = true;
      flaky.calls = 0;
      await register(
        db,
        "name: flaky_flow\nsteps:\n  - name: call\n    agent: flaky\n    action: go\n    input: {}\n    retry: { max_attempts: 10, backoff: fixed, initial_interval: 10ms }\n",
      );
      const { id } = await startRun(db, { workflow: "flaky_flow" });
      const circuit = async () =>
        (await queryRows<{ state: string }>(db, sql`select state from agent_circuits where agent = 'flaky'`))[0]?.state;
      await drive(db, async () => (await circuit()) === "open");
      expect(flaky.calls).toBe(3);
      // While open: the step is deferred, its attempts untouched, and the agent is shown down.
      await tick(db, { budgetMs: 2_000, alwaysSweep: true });
      expect(flaky.calls).toBe(3);
      const waiting = stepOf(await getRun(db, id), "call");
      expect(waiting).toMatchObject({ status: "queued", attempts: 3 });
      const health = await callJson<{ agents: { name: string; status: string; circuit: string; errorRate: number }[] }>(
        agentsHealth,
        "/api/health/agents",
        { key: keys.viewer },
      );
      expect(health.body.agents.find((a) => a.name === "flaky")).toMatchObject({
        status: "down",
        circuit: "open",
        errorRate: 1,
      });
      expect(health.body.agents.find((a) => a.name === "orders")).toMatchObject({
        status: "healthy",
        circuit: "closed",
      });

      flaky.failing = false;
      const run = await runUntilDone(db, id);
      expect(run.status).toBe("succeeded");
      expect(stepOf(run, "call").attempts).toBe(4);
      expect(await circuit()).toBe("closed");
      const transitions = await queryRows<{ from_state: string; to_state: string }>(
        db,
        sql`select from_state, to_state from agent_circuit_transitions where agent = 'flaky' order by id`,
      );
      expect(transitions.map((t) => `${t.from_state}>${t.to_state}`)).toEqual([
        "closed>open",
        "open>half_open",
        "half_open>closed",
      ]);
    });

    it("opens a circuit on the error rate over the window even without consecutive failures", async () => {
      process.env.AGENT_BREAKER_FAILURES = "3";
      process.env.AGENT_BREAKER_COOLDOWN_MS = "60000";
      const db = suite.db();
      patchy.calls = 0;
      await register(
        db,
        "name: patchy_flow\nsteps:\n  - name: call\n    agent: patchy\n    action: go\n    input: {}\n    retry: { max_attempts: 1 }\n",
      );
      const state = async () =>
        (await queryRows<{ state: string }>(db, sql`select state from agent_circuits where agent = 'patchy'`))[0]
          ?.state;
      for (let i = 0; i < 15 && (await state()) !== "open"; i++) {
        const { id } = await startRun(db, { workflow: "patchy_flow" });
        await runUntilDone(db, id);
      }
      expect(await state()).toBe("open");
      expect(patchy.calls).toBeGreaterThanOrEqual(10); // the rate needs at least 10 calls in the window
      const [opened] = await queryRows<{ reason: string }>(
        db,
        sql`select reason from agent_circuit_transitions where agent = 'patchy' and to_state = 'open'`,
      );
      expect(opened?.reason).toMatch(/^error rate (6[7-9]|7\d)% over 60 s \(1\d calls\)$/);
    });

    it("holds an agent to its rate limit: calls beyond it wait for tokens instead of failing", async () => {
      process.env.AGENT_RATE_LIMITS = "limited=2/s";
      const db = suite.db();
      limitedCalls.length = 0;
      await register(
        db,
        "name: limited_flow\nsteps:\n  - name: call\n    agent: limited\n    action: go\n    input: {}\n",
      );
      const started = await startRuns(db, { workflow: "limited_flow", runs: Array.from({ length: 6 }, () => ({})) });
      for (const s of started) {
        const run = await runUntilDone(db, s.id);
        expect(run.status).toBe("succeeded");
        expect(stepOf(run, "call").attempts).toBe(1);
      }
      // A bucket of 2 refilled at 2/s: the 6th call cannot come before 2 s after the first.
      limitedCalls.sort((a, b) => a - b);
      expect(limitedCalls).toHaveLength(6);
      expect(limitedCalls[5]! - limitedCalls[0]!).toBeGreaterThanOrEqual(1_900);
    });
  });
});
