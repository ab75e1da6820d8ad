/**
 * How the http transport classes an answer from the agents' own routes: a deployment that
 * refuses the call (Deployment Protection's 401 without the bypass header, a 403) is the
 * platform's fault, retried and counted against the breaker, never a reason to fail the step
 * for good; a 400 (the step's input) is the caller's fault; a 2xx whose body is not the action's
 * output is the agent's fault too.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Db } from "@/db/client";
import "@/agents/catalog";
import { AgentCallFailed, callHttp } from "@/agents/transport";

let server: Server;
let status = 401;
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () =>
      res.writeHead(status, { "content-type": "application/json" }).end('{"error":{"code":"x","message":"refused"}}'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  process.env.PUBLIC_BASE_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  delete process.env.PUBLIC_BASE_URL;
  await new Promise((resolve) => server.close(resolve));
});

async function failureOf(answer: number): Promise<AgentCallFailed> {
  status = answer;
  const call = {
    db: {} as Db,
    agent: "core",
    action: "health",
    input: {},
    idempotencyKey: "r:s",
    attempt: 1,
    taskId: "1.1",
    timeoutMs: 5_000,
    signal: AbortSignal.timeout(5_000),
  };
  const error = await callHttp(call).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentCallFailed);
  return error as AgentCallFailed;
}

it("retries a call the deployment refused (401, 403), and fails a refused input (400) at once", async () => {
  expect((await failureOf(401)).agentFault).toBe(true);
  expect((await failureOf(403)).agentFault).toBe(true);
  expect((await failureOf(400)).agentFault).toBe(false);
  expect((await failureOf(404)).agentFault).toBe(false);
});

it("retries a 2xx whose body is not the action's output (an answer cut short), instead of recording it", async () => {
  const failure = await failureOf(200);
  expect(failure.agentFault).toBe(true);
  expect(failure.message).toMatch(/not its output/);
});
