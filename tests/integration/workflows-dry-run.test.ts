/**
 * POST /api/workflows/<name>/dry-run: the plan of a manual start (order, levels, templates
 * resolved from the input, `when` results) without a run; the registration's checks on a given
 * definition, with the same messages as PUT /api/workflows/<name> and `npm run workflows:check`.
 */
import { readFileSync } from "node:fs";
import { count } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { POST as dryRunRoute } from "@/app/api/workflows/[name]/dry-run/route";
import { PUT as putWorkflow } from "@/app/api/workflows/[name]/route";
import { createApiKey } from "@/auth/api-keys";
import { events, runs } from "@/db/schema";
import { checkWorkflowFiles } from "@/engine/check-files";
import type { DryRunPlan } from "@/engine/dry-run";
import { describeDb } from "../helpers/db";
import { callJson } from "../helpers/http";

interface ErrorBody {
  error: { code: string; message: string; details?: { path: string; message: string }[] };
}

const PLANNER = `
name: planner
concurrency: { key: "customer-{{ input.customer }}", limit: 2 }
steps:
  - name: fetch
    http: { url: "https://example.com/items/{{ input.id }}", method: GET }
  - name: notify
    depends_on: fetch
    when: "{{ input.notify }}"
    emit: { topic: planner.notified, data: { id: "{{ input.id }}", by: "{{ trigger.actor }}" } }
  - name: each
    depends_on: fetch
    for_each: "{{ input.items }}"
    emit: { topic: planner.item, data: { item: "{{ item }}", id: "{{ input.id }}" } }
  - name: report
    depends_on: [notify, each]
    trigger_rule: all_done
    when: "{{ steps.fetch.output.ok }}"
    emit: { topic: planner.done, data: "{{ steps.fetch.output }}" }
output: { id: "{{ input.id }}", fetched: "{{ steps.fetch.output }}" }
`;

const BROKEN_FILE = "tests/fixtures/workflows-check/bad/agent.yaml";

describeDb("POST /api/workflows/<name>/dry-run", (suite) => {
  const keys = { viewer: "", operator: "", admin: "" };
  beforeAll(async () => {
    for (const role of ["viewer", "operator", "admin"] as const)
      keys[role] = (await createApiKey(suite.db(), { name: `dry-run ${role}`, role })).key;
    const put = await callJson(putWorkflow, "/api/workflows/planner", {
      method: "PUT",
      key: keys.admin,
      body: PLANNER,
      headers: { "content-type": "application/yaml" },
      params: { name: "planner" },
    });
    expect(put.status).toBe(201);
  });

  const dryRun = <T = DryRunPlan>(name: string, body: unknown, key = keys.operator) =>
    callJson<T>(dryRunRoute, `/api/workflows/${name}/dry-run`, { method: "POST", key, body, params: { name } });

  const counts = async () => ({
    runs: (await suite.db().select({ n: count() }).from(runs))[0]?.n,
    events: (await suite.db().select({ n: count() }).from(events))[0]?.n,
  });

  it("plans the registered workflow: order, levels, resolved templates and when results, and starts nothing", async () => {
    const before = await counts();
    const res = await dryRun("planner", { input: { id: 7, customer: "acme", notify: true, items: ["a", "b"] } });
    expect(res.status).toBe(200);
    const plan = res.body;
    expect(plan).toMatchObject({ workflow: "planner", version: 1, trigger: { type: "manual" }, problems: [] });
    expect(plan.steps.map((s) => [s.name, s.level, s.dependsOn])).toEqual([
      ["fetch", 0, []],
      ["notify", 1, ["fetch"]],
      ["each", 1, ["fetch"]],
      ["report", 2, ["notify", "each"]],
    ]);
    const [fetch, notify, each, report] = plan.steps;
    expect(fetch).toMatchObject({
      kind: "http",
      call: { http: { url: "https://example.com/items/7", method: "GET" } },
      retry: { maxAttempts: 3, backoff: "exponential", initialInterval: "1s", maxInterval: "5m" },
      timeout: "30s",
      unresolved: [],
    });
    expect(notify).toMatchObject({
      when: { expression: "{{ input.notify }}", result: true },
      call: { emit: { topic: "planner.notified", data: { id: 7, by: expect.stringMatching(/\S/) } } },
    });
    expect(each).toMatchObject({
      forEach: { items: ["a", "b"] },
      call: { emit: { data: { item: "{{ item }}", id: 7 } } },
      unresolved: ["steps[2].emit.data.item"],
    });
    expect(report).toMatchObject({
      triggerRule: "all_done",
      when: { result: null },
      unresolved: ["steps[3].when", "steps[3].emit.data"],
    });
    expect(plan.output).toEqual({
      value: { id: 7, fetched: "{{ steps.fetch.output }}" },
      unresolved: ["output.fetched"],
    });
    expect(plan.concurrency).toEqual({ key: { value: "customer-acme", unresolved: [] }, limit: 2 });
    expect(await counts()).toEqual(before);
  });

  it("says which when conditions are false, and reports what this input would break at run time", async () => {
    const res = await dryRun("planner", { input: { id: 1, notify: false, items: "not a list" } });
    expect(res.status).toBe(200);
    expect(res.body.steps[1]?.when).toEqual({ expression: "{{ input.notify }}", result: false });
    expect(res.body.steps[2]?.forEach).toEqual({ expression: "{{ input.items }}", items: null });
    expect(res.body.problems).toEqual([
      { path: "steps[2].for_each", message: 'must render an array to fan out over, got "not a list"' },
    ]);
  });

  it("plans a definition given in the body, as text or object, checked like a registration", async () => {
    const text = await dryRun("trial", {
      definition: "name: trial\nsteps:\n  - name: nap\n    sleep: 2s\n",
      input: {},
    });
    expect(text.status).toBe(200);
    expect(text.body).toMatchObject({
      workflow: "trial",
      version: null,
      steps: [{ name: "nap", call: { sleep: "2s" } }],
    });
    const object = await dryRun("trial", {
      definition: { name: "trial", steps: [{ name: "ping", emit: { topic: "t", data: "{{ input }}" } }] },
      input: { a: 1 },
    });
    expect(object.body.steps[0]?.call).toEqual({ emit: { topic: "t", data: { a: 1 } } });
  });

  it("refuses a broken definition with the messages of registration and of npm run workflows:check", async () => {
    const source = readFileSync(BROKEN_FILE, "utf8");
    const res = await dryRun<ErrorBody>("check-agent", { definition: source });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_definition");
    const put = await callJson<ErrorBody>(putWorkflow, "/api/workflows/check-agent", {
      method: "PUT",
      key: keys.admin,
      body: source,
      headers: { "content-type": "application/yaml" },
      params: { name: "check-agent" },
    });
    expect(put.status).toBe(400);
    expect(res.body.error.details).toEqual(put.body.error.details);
    const { problems } = await checkWorkflowFiles([BROKEN_FILE]);
    expect(problems.map(({ path, message }) => ({ path, message }))).toEqual(put.body.error.details);
    expect(problems.length).toBeGreaterThan(0);
  });

  it("answers 4xx JSON on bad requests", async () => {
    const cases: [string, unknown, number, string][] = [
      ["no-such-flow", { input: {} }, 404, "not_found"],
      ["planner", { input: {}, extra: 1 }, 400, "validation_failed"],
      ["planner", { input: {}, version: 0 }, 400, "validation_failed"],
      ["planner", { definition: "name: planner\nsteps: []\n", version: 1 }, 400, "validation_failed"],
      ["planner", { definition: 42 }, 400, "validation_failed"],
      ["other", { definition: "name: trial\nsteps:\n  - name: nap\n    sleep: 2s\n" }, 400, "validation_failed"],
      ["planner", { definition: "name: planner\nsteps:\n  - name: nap\n    sleep: 2 s\n" }, 400, "invalid_definition"],
      ["planner", { input: {}, version: 99 }, 404, "not_found"],
      ["planner", "{not json", 400, "invalid_json"],
    ];
    for (const [name, body, status, code] of cases) {
      const res = await dryRun<ErrorBody>(name, body);
      expect({ name, body, status: res.status, code: res.body.error?.code }).toEqual({ name, body, status, code });
    }
  });

  it("refuses a viewer key (operator role) and a call without a key", async () => {
    const viewer = await dryRun<ErrorBody>("planner", { input: {} }, keys.viewer);
    expect(viewer.status).toBe(403);
    expect(viewer.body.error.code).toBe("forbidden");
    const anonymous = await callJson<ErrorBody>(dryRunRoute, "/api/workflows/planner/dry-run", {
      method: "POST",
      body: { input: {} },
      params: { name: "planner" },
    });
    expect(anonymous.status).toBe(401);
  });
});
