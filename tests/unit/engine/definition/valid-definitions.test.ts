import { describe, expect, it } from "vitest";
import {
  DEFAULT_RETRY,
  type WorkflowDefinition,
  defaultOutputSteps,
  definitionHash,
  parseDefinition,
  toYaml,
  topologicalOrder,
} from "@/engine/definition";
import { issuesOf } from "./helpers";

const FULL = `
name: order_processing
description: Charges and ships an order.
trigger:
  event: order.created
  filter: "{{ event.data.total > \`10\` }}"
concurrency: {key: "{{ input.customer_id }}", limit: 2}
output: {shipment: "{{ steps.ship.output }}", charged: "{{ steps.charge.output.id }}"}
steps:
  - name: design
    agent: design-ia
    action: design_system
    input: {brief: "{{ input.brief }}", pages: 3}
  - name: charge
    depends_on: design
    http:
      url: "https://api.example.com/charges/{{ input.order_id }}"
      method: PUT
      headers: {X-Order: "{{ input.order_id }}", Accept: application/json}
      body: {amount: "{{ trigger.data.total }}", design: "{{ steps.design.output }}"}
    retry: {max_attempts: 5, backoff: fixed, initial_interval: 2s, max_interval: 1m}
    timeout: 10s
  - name: cool_down
    depends_on: [charge]
    sleep: 2h
  - name: wait_payment
    depends_on: [charge]
    wait_for_event: {topic: payment.done, match: "{{ event.data.order_id == input.order_id }}", timeout: 1d}
  - name: ship
    depends_on: [cool_down, wait_payment]
    trigger_rule: one_success
    when: "{{ steps.charge.output.ok }}"
    for_each: "{{ input.parcels }}"
    emit: {topic: parcel.shipped, data: {parcel: "{{ item }}", n: "{{ index }}", by: "{{ steps.design.output.name }}"}}
error_handling:
  - on_error: "*"
    name: notify_admin
    agent: core
    action: notify_admin
    input: {failed: "{{ error.step }}", message: "{{ error.message }}", any: "{{ steps }}"}
  - on_error: ship
    name: refund
    http: {url: "https://api.example.com/refunds", body: {charge: "{{ steps.charge.output.id }}"}}
`;

const retry = DEFAULT_RETRY;

describe("parseDefinition accepts valid definitions", () => {
  it("applies every default to a minimal definition", () => {
    expect(parseDefinition("name: hello\nsteps:\n  - name: nap\n    sleep: 500ms\n")).toEqual({
      name: "hello",
      trigger: { type: "manual" },
      steps: [
        {
          name: "nap",
          kind: "sleep",
          durationMs: 500,
          dependsOn: [],
          triggerRule: "all_success",
          retry: { maxAttempts: 3, backoff: "exponential", initialIntervalMs: 1_000, maxIntervalMs: 300_000 },
          timeoutMs: 30_000,
        },
      ],
      errorHandlers: [],
    } satisfies WorkflowDefinition);
  });

  it("normalizes every kind, option and section to camelCase, keeping templates as written", () => {
    const def = parseDefinition(FULL);
    expect(def.name).toBe("order_processing");
    expect(def.description).toBe("Charges and ships an order.");
    expect(def.trigger).toEqual({ type: "event", topic: "order.created", filter: "{{ event.data.total > `10` }}" });
    expect(def.concurrency).toEqual({ key: "{{ input.customer_id }}", limit: 2 });
    expect(def.output).toEqual({ shipment: "{{ steps.ship.output }}", charged: "{{ steps.charge.output.id }}" });
    const [design, charge, coolDown, wait, ship] = def.steps;
    expect(design).toMatchObject({
      kind: "agent",
      agent: "design-ia",
      action: "design_system",
      input: { brief: "{{ input.brief }}", pages: 3 },
    });
    expect(charge).toMatchObject({
      kind: "http",
      dependsOn: ["design"],
      http: {
        url: "https://api.example.com/charges/{{ input.order_id }}",
        method: "PUT",
        headers: { "X-Order": "{{ input.order_id }}", Accept: "application/json" },
        body: { amount: "{{ trigger.data.total }}", design: "{{ steps.design.output }}" },
      },
      retry: { maxAttempts: 5, backoff: "fixed", initialIntervalMs: 2_000, maxIntervalMs: 60_000 },
      timeoutMs: 10_000,
    });
    expect(coolDown).toMatchObject({ kind: "sleep", durationMs: 7_200_000, dependsOn: ["charge"], retry });
    expect(wait).toMatchObject({
      kind: "wait_for_event",
      waitForEvent: {
        topic: "payment.done",
        match: "{{ event.data.order_id == input.order_id }}",
        timeoutMs: 86_400_000,
      },
      timeoutMs: 30_000,
    });
    expect(ship).toMatchObject({
      kind: "emit",
      dependsOn: ["cool_down", "wait_payment"],
      triggerRule: "one_success",
      when: "{{ steps.charge.output.ok }}",
      forEach: "{{ input.parcels }}",
      emit: { topic: "parcel.shipped" },
    });
    expect(def.errorHandlers).toMatchObject([
      { onError: "*", step: { name: "notify_admin", kind: "agent", dependsOn: [], retry } },
      { onError: "ship", step: { name: "refund", kind: "http", http: { method: "POST", headers: {} } } },
    ]);
  });

  it("gives optional kind fields their defaults: POST, no headers, empty input and data", () => {
    const def = parseDefinition({
      name: "wf",
      steps: [
        { name: "a", agent: "core", action: "ping" },
        { name: "b", http: { url: "https://example.com/hook" } },
        { name: "c", emit: { topic: "x" } },
        { name: "d", wait_for_event: { topic: "y", timeout: "5m" } },
      ],
    });
    expect(def.steps.map((s) => s.kind)).toEqual(["agent", "http", "emit", "wait_for_event"]);
    expect(def.steps[0]).toMatchObject({ input: {} });
    expect(def.steps[1]).toMatchObject({ http: { url: "https://example.com/hook", method: "POST", headers: {} } });
    expect(def.steps[1]).not.toHaveProperty("http.body");
    expect(def.steps[2]).toMatchObject({ emit: { topic: "x", data: {} } });
    expect(def.steps[3]).toMatchObject({ waitForEvent: { topic: "y", timeoutMs: 300_000 } });
    expect(def.steps[3]).not.toHaveProperty("waitForEvent.match");
  });

  it("reads JSON, YAML and parsed objects alike", () => {
    const object = {
      name: "wf",
      trigger: { cron: "*/5 * * * *" },
      steps: [
        { name: "a", sleep: "1s" },
        { name: "b", depends_on: "a", sleep: "1m" },
      ],
    };
    const fromObject = parseDefinition(object);
    expect(parseDefinition(JSON.stringify(object))).toEqual(fromObject);
    expect(parseDefinition(JSON.stringify(object, null, 2), { format: "json" })).toEqual(fromObject);
    expect(parseDefinition(toYaml(fromObject), { format: "yaml" })).toEqual(fromObject);
    expect(fromObject.trigger).toEqual({ type: "cron", expression: "*/5 * * * *" });
    expect(fromObject.steps[1]?.dependsOn).toEqual(["a"]);
  });

  it("accepts trigger: manual and cron nicknames", () => {
    expect(parseDefinition({ name: "wf", trigger: "manual", steps: [{ name: "a", sleep: "1s" }] }).trigger).toEqual({
      type: "manual",
    });
    expect(
      parseDefinition({ name: "wf", trigger: { cron: "@daily" }, steps: [{ name: "a", sleep: "1s" }] }).trigger,
    ).toEqual({ type: "cron", expression: "@daily" });
  });

  it("accepts templates reading transitive dependencies, and handlers reading ancestors of their step", () => {
    const def = parseDefinition({
      name: "wf",
      steps: [
        { name: "a", sleep: "1s" },
        { name: "b", depends_on: "a", sleep: "1s" },
        {
          name: "c",
          depends_on: "b",
          emit: { topic: "t", data: { fromA: "{{ steps.a.output }}", fromB: "{{ steps.b.output }}" } },
        },
      ],
      error_handling: [
        { on_error: "c", name: "h", emit: { topic: "failed", data: "{{ steps.a.output }} {{ error.message }}" } },
      ],
    });
    expect(def.steps).toHaveLength(3);
  });

  it("accepts an http host that is a template (checked at run time) and refused hosts listed in the env", () => {
    const steps = (url: string) => ({ name: "wf", steps: [{ name: "a", http: { url } }] });
    expect(() => parseDefinition(steps("{{ input.webhook_url }}"), { env: {} })).not.toThrow();
    expect(() => parseDefinition(steps("https://{{ input.host }}/x"), { env: {} })).not.toThrow();
    expect(() => parseDefinition(steps("http://10.0.0.{{ input.n }}/x"), { env: {} })).not.toThrow();
    expect(() =>
      parseDefinition(steps("http://localhost:3000/api/x"), { env: { HTTP_STEP_ALLOWED_HOSTS: "localhost" } }),
    ).not.toThrow();
    expect(() =>
      parseDefinition(steps("http://[::1]:3000/api/x"), { env: { HTTP_STEP_ALLOWED_HOSTS: "::1" } }),
    ).not.toThrow();
    expect(
      issuesOf(steps("http://localhost:3000/api/x"), { env: { HTTP_STEP_ALLOWED_HOSTS: "other.internal" } }),
    ).toHaveLength(1);
  });

  it("accepts known agent actions when a registry is given", () => {
    const agentExists = (agent: string, action: string) => `${agent}.${action}` === "core.ping";
    expect(() =>
      parseDefinition({ name: "wf", steps: [{ name: "a", agent: "core", action: "ping" }] }, { agentExists }),
    ).not.toThrow();
  });

  it("lets a literal {{ be written as a template", () => {
    const def = parseDefinition({
      name: "wf",
      steps: [{ name: "a", emit: { topic: "t", data: "use {{ '{{' }} to open" } }],
    });
    expect(def.steps[0]).toMatchObject({ emit: { data: "use {{ '{{' }} to open" } });
  });

  it("drops undefined properties of JS objects, as JSON does", () => {
    const def = parseDefinition({
      name: "wf",
      description: undefined,
      steps: [{ name: "a", agent: "x", action: "y", input: { a: 1, b: undefined } }],
    });
    expect(def).not.toHaveProperty("description");
    expect(def.steps[0]).toMatchObject({ input: { a: 1 } });
    expect(Object.keys((def.steps[0] as { input: object }).input)).toEqual(["a"]);
  });
});

describe("toYaml and definitionHash", () => {
  it("round-trips a full definition through YAML", () => {
    const def = parseDefinition(FULL);
    const yaml = toYaml(def);
    expect(parseDefinition(yaml)).toEqual(def);
    expect(definitionHash(parseDefinition(yaml))).toBe(definitionHash(def));
  });

  it("writes the authoring format, leaving defaults out", () => {
    const def = parseDefinition({
      name: "wf",
      steps: [
        { name: "a", sleep: "90s", timeout: "1m" },
        { name: "b", depends_on: "a", emit: { topic: "t" } },
      ],
    });
    expect(toYaml(def)).toBe(
      [
        "name: wf",
        "steps:",
        "  - name: a",
        "    sleep: 90s",
        "    timeout: 1m",
        "  - name: b",
        "    depends_on:",
        "      - a",
        "    emit:",
        "      topic: t",
        "",
      ].join("\n"),
    );
  });

  it("hashes content, not key order or source format", () => {
    const a = parseDefinition(
      '{"name":"wf","steps":[{"name":"a","agent":"x","action":"y","input":{"p":1,"q":[1,2]}}]}',
    );
    const b = parseDefinition(
      "steps:\n  - input: {q: [1, 2], p: 1}\n    action: y\n    agent: x\n    name: a\nname: wf\n",
    );
    expect(definitionHash(a)).toBe(definitionHash(b));
    expect(definitionHash(a)).toMatch(/^[0-9a-f]{64}$/);
    const c = parseDefinition(
      '{"name":"wf","steps":[{"name":"a","agent":"x","action":"y","input":{"p":2,"q":[1,2]}}]}',
    );
    expect(definitionHash(c)).not.toBe(definitionHash(a));
  });

  it("treats a default written out and a default left out as the same content", () => {
    const implicit = parseDefinition({ name: "wf", steps: [{ name: "a", sleep: "1s" }] });
    const explicit = parseDefinition({
      name: "wf",
      trigger: "manual",
      steps: [
        {
          name: "a",
          sleep: "1000ms",
          depends_on: [],
          trigger_rule: "all_success",
          timeout: "30s",
          retry: { max_attempts: 3, backoff: "exponential", initial_interval: "1s", max_interval: "5m" },
        },
      ],
      error_handling: [],
    });
    expect(definitionHash(explicit)).toBe(definitionHash(implicit));
  });
});

describe("graph helpers", () => {
  it("orders steps after their dependencies and finds the default output steps", () => {
    const def = parseDefinition({
      name: "wf",
      steps: [
        { name: "d", depends_on: ["b", "c"], sleep: "1s" },
        { name: "b", depends_on: "a", sleep: "1s" },
        { name: "a", sleep: "1s" },
        { name: "c", depends_on: "a", sleep: "1s" },
        { name: "e", sleep: "1s" },
      ],
    });
    const order = topologicalOrder(def);
    expect(order).toHaveLength(5);
    for (const step of def.steps) {
      for (const dep of step.dependsOn) expect(order.indexOf(dep)).toBeLessThan(order.indexOf(step.name));
    }
    expect(defaultOutputSteps(def)).toEqual(["d", "e"]);
  });
});
