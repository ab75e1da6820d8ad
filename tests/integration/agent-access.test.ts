/**
 * Who may run an agent action (src/agents/access.ts, src/auth/signature.ts): a signed call is
 * bound to the method and path it was signed for, actions with effects outside their answer
 * refuse API keys whatever their role, harmless ones admit the role they declare, and a direct
 * caller's Idempotency-Key is namespaced apart from the engine's keys.
 */
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { registerAgent } from "@/agents/catalog";
import { defineAction } from "@/agents/framework";
import { createApiKey } from "@/auth/api-keys";
import { signRequest } from "@/auth/signature";
import { queryRows } from "@/db/client";
import { getSecret } from "@/env";
import { agentGet, agentPost } from "@/http/agent-route";
import { createOrder, createOrderInput } from "@/orders/manage";
import { describeDb } from "../helpers/db";
import { call, callJson } from "../helpers/http";

const ORDER_INPUT = {
  name: "#2001",
  currency: "EUR",
  totalPrice: "9.90",
  financialStatus: "paid" as const,
  lineItems: [{ sku: "MUG-1", title: "Mug", quantity: 1, price: "9.90" }],
  customer: { name: "Ada", email: "ada@example.com" },
};

/** The idempotency keys the test agent's action saw, in order. */
const seenKeys: (string | null)[] = [];
registerAgent({
  name: "keyed-demo",
  description: "Records the idempotency key of each call.",
  actions: {
    record: defineAction({
      description: "Answers the idempotency key it ran under.",
      input: z.strictObject({}),
      output: z.strictObject({ key: z.string().nullable() }),
      directCall: "operator",
      handler: async (_input, ctx) => {
        seenKeys.push(ctx.idempotencyKey);
        return { key: ctx.idempotencyKey };
      },
    }),
    undeclared: defineAction({
      description: "Declares no direct caller: signed calls only.",
      input: z.strictObject({}),
      output: z.strictObject({ ok: z.literal(true) }),
      handler: async () => ({ ok: true as const }),
    }),
  },
});

function envelope(input: unknown) {
  return JSON.stringify({
    input,
    call: { idempotencyKey: null, attempt: 1, taskId: null, nonce: crypto.randomUUID() },
  });
}

function signedHeaders(method: string, path: string, body: string): Record<string, string> {
  return {
    "content-type": "application/json",
    "x-orchestrator-signature": signRequest(getSecret("INTER_AGENT_SECRET"), { method, path, body }),
  };
}

describeDb("agent actions: who may call them", (suite) => {
  const keys = { viewer: "", operator: "", admin: "", otherOperator: "" };
  let orderId = "";
  beforeAll(async () => {
    for (const role of ["viewer", "operator", "admin"] as const)
      keys[role] = (await createApiKey(suite.db(), { name: `access ${role}`, role })).key;
    keys.otherOperator = (await createApiKey(suite.db(), { name: "access operator 2", role: "operator" })).key;
    orderId = (await createOrder(suite.db(), createOrderInput.parse(ORDER_INPUT))).id;
  });

  describe("a signed call is bound to its method and path", () => {
    it("runs where it was signed for, and is refused (401 JSON) when sent to another action, agent or method", async () => {
      const signedPath = "/api/agents/orders/validate_order";
      const body = envelope({ orderId });
      const headers = signedHeaders("POST", signedPath, body);

      // Captured on its way to validate_order, sent to mark_failed of the same agent: refused.
      const otherAction = await callJson<{ error: { code: string; message: string } }>(
        agentPost("orders"),
        "/api/agents/orders/mark_failed",
        {
          method: "POST",
          body,
          headers,
          params: { action: "mark_failed" },
        },
      );
      expect(otherAction.status).toBe(401);
      expect(otherAction.body.error.code).toBe("unauthorized");
      expect(otherAction.body.error.message).toMatch(/signature is mismatch/);

      // ...to another agent's route: refused.
      const otherAgent = await call(agentPost("core"), "/api/agents/core/notify_admin", {
        method: "POST",
        body,
        headers,
        params: { action: "notify_admin" },
      });
      expect(otherAgent.status).toBe(401);

      // ...with another method: refused.
      const probeHeaders = signedHeaders("POST", "/api/agents/orders/health", "");
      const otherMethod = await call(agentGet("orders"), "/api/agents/orders/health", {
        method: "GET",
        headers: probeHeaders,
        params: { action: "health" },
      });
      expect(otherMethod.status).toBe(401);

      // The refusals did not burn the signature: sent where it was signed for, it runs (once).
      const right = await callJson<{ valid: boolean }>(agentPost("orders"), signedPath, {
        method: "POST",
        body,
        headers,
        params: { action: "validate_order" },
      });
      expect(right.status).toBe(200);
      expect(right.body.valid).toBe(true);
      const [order] = await queryRows<{ status: string }>(
        suite.db(),
        sql`select status from orders where id = ${orderId}`,
      );
      expect(order?.status).not.toBe("failed");
    });

    it("a GET probe signed for its own path passes", async () => {
      const path = "/api/agents/orders/health";
      const res = await call(agentGet("orders"), path, {
        method: "GET",
        headers: signedHeaders("GET", path, ""),
        params: { action: "health" },
      });
      expect(res.status).not.toBe(401);
    });
  });

  describe("direct calls with an API key", () => {
    const DANGEROUS = [
      { agent: "automation", action: "verify_deployment", body: { url: "http://169.254.169.254/latest/meta-data/" } },
      {
        agent: "core",
        action: "notify_client",
        body: { to: "victim@example.com", subject: "Your invoice", html: "<a href='https://evil.example'>pay</a>" },
      },
      { agent: "automation", action: "deploy_site", body: { slug: "anything" } },
      { agent: "orders", action: "submit_to_supplier", body: { supplierOrder: { orderId: "x", lines: [] } } },
    ];

    it.each(DANGEROUS)(
      "$agent/$action refuses an operator key and an admin key (403 JSON), whatever the body",
      async ({ agent, action, body }) => {
        for (const key of [keys.operator, keys.admin]) {
          const res = await callJson<{ error: { code: string; message: string } }>(
            agentPost(agent),
            `/api/agents/${agent}/${action}`,
            {
              method: "POST",
              key,
              body,
              params: { action },
            },
          );
          expect(res.status).toBe(403);
          expect(res.body.error.code).toBe("forbidden");
          expect(res.body.error.message).toMatch(/workflow step/);
        }
      },
    );

    it("an action without a declaration is signed-only (the default)", async () => {
      const res = await call(agentPost("keyed-demo"), "/api/agents/keyed-demo/undeclared", {
        method: "POST",
        key: keys.admin,
        body: {},
        params: { action: "undeclared" },
      });
      expect(res.status).toBe(403);
      const body = envelope({});
      const path = "/api/agents/keyed-demo/undeclared";
      const signed = await call(agentPost("keyed-demo"), path, {
        method: "POST",
        body,
        headers: signedHeaders("POST", path, body),
        params: { action: "undeclared" },
      });
      expect(signed.status).toBe(200);
    });

    it("a harmless action admits the role it declares and refuses lower ones", async () => {
      const validate = await callJson<{ valid: boolean }>(agentPost("orders"), "/api/agents/orders/validate_order", {
        method: "POST",
        key: keys.operator,
        body: { orderId },
        params: { action: "validate_order" },
      });
      expect(validate.status).toBe(200);
      expect(validate.body.valid).toBe(true);
      const viewer = await call(agentPost("orders"), "/api/agents/orders/validate_order", {
        method: "POST",
        key: keys.viewer,
        body: { orderId },
        params: { action: "validate_order" },
      });
      expect(viewer.status).toBe(403);
      const health = await call(agentPost("core"), "/api/agents/core/health", {
        method: "POST",
        key: keys.viewer,
        body: {},
        params: { action: "health" },
      });
      expect(health.status).toBe(200);
    });

    it("an unknown action is a 404 before any role question", async () => {
      const res = await call(agentPost("orders"), "/api/agents/orders/no_such_action", {
        method: "POST",
        key: keys.viewer,
        body: {},
        params: { action: "no_such_action" },
      });
      expect(res.status).toBe(404);
    });
  });

  describe("idempotency keys", () => {
    it("a direct caller's Idempotency-Key is namespaced by its key, so it can never be a workflow's own key", async () => {
      const engineKey = "0198c0de-0000-7000-8000-000000000001:notify_client";
      const direct = (key: string) =>
        callJson<{ key: string | null }>(agentPost("keyed-demo"), "/api/agents/keyed-demo/record", {
          method: "POST",
          key,
          body: {},
          headers: { "idempotency-key": engineKey },
          params: { action: "record" },
        });
      const first = await direct(keys.operator);
      const second = await direct(keys.otherOperator);
      expect(first.status).toBe(200);
      expect(first.body.key).not.toBe(engineKey);
      expect(first.body.key).toMatch(/^direct:key:[0-9a-f-]{36}:0198c0de-0000-7000-8000-000000000001:notify_client$/);
      // Two callers sending the same header do not share a key either.
      expect(second.body.key).not.toBe(first.body.key);

      // The engine's signed call keeps its key as is.
      const path = "/api/agents/keyed-demo/record";
      const body = JSON.stringify({
        input: {},
        call: { idempotencyKey: engineKey, attempt: 1, taskId: null, nonce: crypto.randomUUID() },
      });
      const signed = await callJson<{ key: string | null }>(agentPost("keyed-demo"), path, {
        method: "POST",
        body,
        headers: signedHeaders("POST", path, body),
        params: { action: "record" },
      });
      expect(signed.body.key).toBe(engineKey);

      // Without the header a direct call has no key at all.
      const none = await callJson<{ key: string | null }>(agentPost("keyed-demo"), path, {
        method: "POST",
        key: keys.operator,
        body: {},
        params: { action: "record" },
      });
      expect(none.body.key).toBeNull();
    });
  });
});
