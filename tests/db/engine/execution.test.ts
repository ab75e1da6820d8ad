import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { publishEvent } from "@/engine/events";
import { cancelRun, getRun, retryRun } from "@/engine/runs";
import { startRun } from "@/engine/start-run";
import { describeDb } from "../../helpers/db";
import { finishRun, register, runUntilDone, stepOf, tickOnce } from "../../helpers/engine";
import { registerTestAgent } from "../../helpers/test-agent";

/** A loopback receiver for http steps: records every call, answers per path. */
let server: Server;
let base = "";
const calls: { path: string; key: string | undefined; attempt: string | undefined; body: string }[] = [];
const failuresLeft = new Map<string, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const path = req.url ?? "/";
      calls.push({
        path,
        key: req.headers["idempotency-key"] as string | undefined,
        attempt: req.headers["x-orchestrator-attempt"] as string | undefined,
        body,
      });
      const left = failuresLeft.get(path) ?? 0;
      if (left > 0) {
        failuresLeft.set(path, left - 1);
        res.writeHead(503).end("busy");
      } else if (path.startsWith("/huge")) {
        res.writeHead(200, { "content-type": "text/plain" }).end("x".repeat(1024 * 1024 + 1));
      } else if (path.startsWith("/bad")) {
        res.writeHead(422, { "content-type": "application/json" }).end('{"error":"no"}');
      } else {
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ echo: body ? JSON.parse(body) : null }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
  registerTestAgent("test", "rejected by the agent");
});

afterAll(async () => {
  delete process.env.HTTP_STEP_ALLOWED_HOSTS;
  await new Promise((resolve) => server.close(resolve));
});

describeDb("workflow execution", (suite) => {
  it("runs a DAG: parallel branches, a join, templates typed and interpolated, output from sinks", async () => {
    await register(
      suite.db(),
      `
name: dag
steps:
  - name: a
    agent: test
    action: double
    input: { n: "{{ input.n }}" }
  - name: b
    agent: test
    action: double
    input: { n: 10 }
  - name: join
    depends_on: [a, b]
    agent: test
    action: double
    input: { n: "{{ sum([steps.a.output.value, steps.b.output.value]) }}" }
`,
    );
    const run = await finishRun(suite.db(), { workflow: "dag", input: { n: 3 } });
    expect(run.status).toBe("succeeded");
    expect(stepOf(run, "join").output).toEqual({ value: 52 });
    expect(run.output).toEqual({ join: { value: 52 } });
  });

  it("fans out with for_each, in item order, and skips a step whose when is false", async () => {
    await register(
      suite.db(),
      `
name: fanout
steps:
  - name: each
    for_each: "{{ input.items }}"
    agent: test
    action: double
    input: { n: "{{ item }}" }
  - name: never
    when: "{{ input.flag }}"
    agent: test
    action: double
    input: { n: 1 }
  - name: after_never
    depends_on: [never]
    agent: test
    action: double
    input: { n: 1 }
  - name: count
    depends_on: [each]
    agent: test
    action: double
    input: { n: "{{ length(steps.each.output) }}" }
output: "{{ steps.each.output[*].value }}"
`,
    );
    const run = await finishRun(suite.db(), { workflow: "fanout", input: { items: [1, 2, 3, 4], flag: false } });
    expect(run.status).toBe("succeeded");
    expect(run.output).toEqual([2, 4, 6, 8]);
    expect(stepOf(run, "never").status).toBe("skipped");
    expect(stepOf(run, "after_never").status).toBe("skipped");
    expect(stepOf(run, "each").items).toHaveLength(4);
    // The step after the fan-in reads the assembled output on its first attempt.
    expect(stepOf(run, "count")).toMatchObject({ status: "succeeded", attempts: 1, output: { value: 8 } });
  });

  it("retries 5xx with a stable idempotency key and the attempt number, and fails 4xx at once", async () => {
    failuresLeft.set("/flaky", 2);
    await register(
      suite.db(),
      `
name: http_calls
steps:
  - name: flaky
    http: { url: "${base}/flaky", body: { run: "{{ run.id }}" } }
    retry: { max_attempts: 3, initial_interval: 10ms, max_interval: 20ms }
  - name: bad
    http: { url: "${base}/bad" }
    retry: { max_attempts: 3, initial_interval: 10ms }
`,
    );
    const { id } = await startRun(suite.db(), { workflow: "http_calls" });
    const run = await runUntilDone(suite.db(), id);
    const flaky = calls.filter((c) => c.path === "/flaky" && c.key === `${id}:flaky`);
    expect(flaky.map((c) => c.attempt)).toEqual(["1", "2", "3"]);
    expect(new Set(flaky.map((c) => c.key))).toEqual(new Set([`${id}:flaky`]));
    expect(stepOf(run, "flaky")).toMatchObject({
      status: "succeeded",
      attempts: 3,
      output: { status: 200, body: { echo: { run: id } } },
    });
    expect(calls.filter((c) => c.path === "/bad" && c.key === `${id}:bad`)).toHaveLength(1);
    expect(stepOf(run, "bad")).toMatchObject({ status: "failed", attempts: 1 });
    expect(run.status).toBe("failed");
    expect(stepOf(run, "flaky").history.map((h) => h.outcome)).toEqual(["failed", "failed", "succeeded"]);
  });

  it("runs the error handler when a step finally fails, and the run still ends failed", async () => {
    await register(
      suite.db(),
      `
name: with_handler
steps:
  - name: risky
    agent: test
    action: fail
error_handling:
  - on_error: risky
    name: alert
    emit: { topic: "alert.raised", data: { failed: "{{ error.step }}", why: "{{ error.message }}" } }
`,
    );
    const run = await finishRun(suite.db(), { workflow: "with_handler" });
    expect(run.status).toBe("failed");
    expect(stepOf(run, "alert").status).toBe("succeeded");
    expect(stepOf(run, "alert").input).toEqual({
      topic: "alert.raised",
      data: { failed: "risky", why: "rejected by the agent" },
    });
  });

  it("sleeps durably, then continues", async () => {
    await register(
      suite.db(),
      `
name: sleeper
steps:
  - name: nap
    sleep: 300ms
  - name: after
    depends_on: nap
    emit: { topic: "woke" }
`,
    );
    const started = Date.now();
    const { id } = await startRun(suite.db(), { workflow: "sleeper" });
    await tickOnce(suite.db(), { budgetMs: 2000 });
    expect((await getRun(suite.db(), id)).status).toBe("waiting");
    const run = await runUntilDone(suite.db(), id);
    expect(run.status).toBe("succeeded");
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it("wakes a waiting step with a matching event published after it began waiting", async () => {
    await register(
      suite.db(),
      `
name: waiter
steps:
  - name: wait
    wait_for_event: { topic: "payment.done", match: "{{ event.data.order == input.order }}", timeout: 1m }
  - name: done
    depends_on: wait
    emit: { topic: "order.paid", data: { amount: "{{ steps.wait.output.data.amount }}" } }
`,
    );
    await publishEvent(suite.db(), { topic: "payment.done", data: { order: "A1", amount: 1 }, source: "test" });
    const { id } = await startRun(suite.db(), { workflow: "waiter", input: { order: "A1" } });
    await tickOnce(suite.db(), { budgetMs: 2000 });
    expect(stepOf(await getRun(suite.db(), id), "wait").status).toBe("waiting"); // the earlier event does not count
    await publishEvent(suite.db(), { topic: "payment.done", data: { order: "B2", amount: 2 }, source: "test" });
    expect(stepOf(await getRun(suite.db(), id), "wait").status).toBe("waiting");
    await publishEvent(suite.db(), { topic: "payment.done", data: { order: "A1", amount: 3 }, source: "test" });
    const run = await runUntilDone(suite.db(), id);
    expect(stepOf(run, "done").input).toEqual({ topic: "order.paid", data: { amount: 3 } });
  });

  it("starts one run per matching event, and none for a duplicate publication", async () => {
    await register(
      suite.db(),
      `
name: on_order
trigger: { event: "order.created", filter: "{{ event.data.total > \`10\` }}" }
steps:
  - name: ack
    emit: { topic: "order.acked", data: "{{ input }}" }
`,
    );
    const big = await publishEvent(suite.db(), {
      topic: "order.created",
      data: { total: 50 },
      source: "test",
      dedupeKey: "shop:1",
    });
    const again = await publishEvent(suite.db(), {
      topic: "order.created",
      data: { total: 50 },
      source: "test",
      dedupeKey: "shop:1",
    });
    const small = await publishEvent(suite.db(), { topic: "order.created", data: { total: 5 }, source: "test" });
    expect(big.runIds).toHaveLength(1);
    expect(again).toMatchObject({ id: big.id, duplicate: true, runIds: [] });
    expect(small.runIds).toHaveLength(0);
    const run = await runUntilDone(suite.db(), big.runIds[0]!);
    expect(run.status).toBe("succeeded");
    expect(run.trigger).toMatchObject({ type: "event", id: big.id, topic: "order.created" });
  });

  it("returns the existing run for a repeated idempotency key", async () => {
    await register(suite.db(), "name: idem\nsteps:\n  - name: s\n    emit: { topic: t }\n");
    const first = await startRun(suite.db(), { workflow: "idem", idempotencyKey: "k-1" });
    const second = await startRun(suite.db(), { workflow: "idem", idempotencyKey: "k-1" });
    expect(second).toEqual({ id: first.id, created: false });
  });

  it("cancels a waiting run, refuses to cancel it twice, and retries a failed run from the failed step only", async () => {
    await register(
      suite.db(),
      `
name: long_wait
steps:
  - name: w
    wait_for_event: { topic: "never", timeout: 1h }
`,
    );
    const { id } = await startRun(suite.db(), { workflow: "long_wait" });
    await tickOnce(suite.db(), { budgetMs: 2000 });
    const cancelled = await cancelRun(suite.db(), id);
    expect(cancelled.status).toBe("cancelled");
    expect(stepOf(cancelled, "w").status).toBe("cancelled");
    await expect(cancelRun(suite.db(), id)).rejects.toMatchObject({ code: "conflict" });

    failuresLeft.set("/later", 1);
    await register(
      suite.db(),
      `
name: retry_me
steps:
  - name: first
    http: { url: "${base}/first" }
  - name: second
    depends_on: first
    http: { url: "${base}/later" }
    retry: { max_attempts: 1 }
`,
    );
    const r = await startRun(suite.db(), { workflow: "retry_me" });
    const failed = await runUntilDone(suite.db(), r.id);
    expect(failed.status).toBe("failed");
    const firstCalls = calls.filter((c) => c.path === "/first").length;
    const retried = await retryRun(suite.db(), r.id);
    expect(retried.status).toBe("running");
    const done = await runUntilDone(suite.db(), r.id);
    expect(done.status).toBe("succeeded");
    expect(calls.filter((c) => c.path === "/first").length).toBe(firstCalls); // not re-run
    await expect(retryRun(suite.db(), r.id)).rejects.toMatchObject({ code: "conflict" });
  });

  it("holds a run back while its concurrency key is at the limit, and admits it when a slot frees", async () => {
    await register(
      suite.db(),
      `
name: one_at_a_time
concurrency: { key: "{{ input.customer }}", limit: 1 }
steps:
  - name: w
    wait_for_event: { topic: "release", timeout: 1h }
`,
    );
    const first = await startRun(suite.db(), { workflow: "one_at_a_time", input: { customer: "c1" } });
    const second = await startRun(suite.db(), { workflow: "one_at_a_time", input: { customer: "c1" } });
    const other = await startRun(suite.db(), { workflow: "one_at_a_time", input: { customer: "c2" } });
    await tickOnce(suite.db(), { budgetMs: 2000 });
    expect((await getRun(suite.db(), second.id)).status).toBe("queued");
    expect(stepOf(await getRun(suite.db(), second.id), "w").status).toBe("pending");
    expect((await getRun(suite.db(), other.id)).status).toBe("waiting");
    await cancelRun(suite.db(), first.id);
    await tickOnce(suite.db(), { budgetMs: 2000 });
    expect((await getRun(suite.db(), second.id)).status).toBe("waiting");
  });

  it("queues the next link of a chain when its timeout does not fit the tick, and runs it in a later tick", async () => {
    await register(
      suite.db(),
      `
name: chain_long_next
steps:
  - name: a
    agent: test
    action: double
    input: { n: 1 }
    timeout: 1s
  - name: b
    depends_on: a
    agent: test
    action: double
    input: { n: "{{ steps.a.output.value }}" }
    timeout: 45s
`,
    );
    const { id } = await startRun(suite.db(), { workflow: "chain_long_next" });
    await tickOnce(suite.db(), { budgetMs: 2_000 });
    const mid = await getRun(suite.db(), id);
    expect(stepOf(mid, "a").status).toBe("succeeded");
    expect(stepOf(mid, "b").status).toBe("queued");
    const run = await runUntilDone(suite.db(), id);
    expect(stepOf(run, "b").output).toEqual({ value: 4 });
  });

  it("claims higher priorities first", async () => {
    await register(
      suite.db(),
      "name: prio\nsteps:\n  - name: s\n    agent: test\n    action: double\n    input: { n: 1 }\n",
    );
    const low = await startRun(suite.db(), { workflow: "prio", priority: "low" });
    const critical = await startRun(suite.db(), { workflow: "prio", priority: "critical" });
    await tickOnce(suite.db(), { batchSize: 1 });
    const [l, c] = await Promise.all([getRun(suite.db(), low.id), getRun(suite.db(), critical.id)]);
    expect(c.priority).toBe("critical");
    expect(new Date(stepOf(c, "s").startedAt!).getTime()).toBeLessThanOrEqual(
      new Date(stepOf(l, "s").startedAt!).getTime(),
    );
  });

  it("fails an http step whose response is over 1 MiB instead of keeping a truncated body", async () => {
    await register(
      suite.db(),
      `
name: huge_response
steps:
  - name: fetch
    http: { url: "${base}/huge", method: GET }
    retry: { max_attempts: 3, initial_interval: 10ms }
`,
    );
    const run = await finishRun(suite.db(), { workflow: "huge_response" });
    expect(stepOf(run, "fetch")).toMatchObject({ status: "failed", attempts: 1 });
    expect(JSON.stringify(stepOf(run, "fetch").error)).toContain("larger than 1048576 bytes");
  });
});
