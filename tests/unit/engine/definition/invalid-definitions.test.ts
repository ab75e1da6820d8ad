import { describe, expect, it } from "vitest";
import { DefinitionError, parseDefinition } from "@/engine/definition";
import { issuesOf, workflow } from "./helpers";

const sleep = (name: string, extra: Record<string, unknown> = {}) => ({ name, sleep: "1s", ...extra });
const env = { HTTP_STEP_ALLOWED_HOSTS: "" };

interface Case {
  rejects: string;
  source: unknown;
  path: string;
  message: string;
  options?: Parameters<typeof parseDefinition>[1];
}

const cases: Case[] = [
  // Syntax and document shape
  {
    rejects: "invalid YAML, with its line",
    source: "name: wf\nsteps: [\n  - a\n",
    path: "(root)",
    message: "invalid YAML: ",
  },
  {
    rejects: "YAML with a duplicate key",
    source: "name: a\nname: b\nsteps: []\n",
    path: "(root)",
    message: "Map keys must be unique at line 2",
  },
  {
    rejects: "a YAML stream of several documents",
    source: "name: a\n---\nname: b\n",
    path: "(root)",
    message: "multiple documents",
  },
  {
    rejects: "an unresolved YAML tag",
    source: "name: !!js/function f\nsteps: []\n",
    path: "(root)",
    message: "Unresolved tag",
  },
  {
    rejects: "invalid JSON, with its line",
    source: '{\n"name": "wf",\n}',
    options: { format: "json" },
    path: "(root)",
    message: "invalid JSON",
  },
  {
    rejects: "a list as the root",
    source: "- a\n- b\n",
    path: "(root)",
    message: "must be a mapping (an object), not a list",
  },
  { rejects: "a scalar as the root", source: "hello", path: "(root)", message: "not a string" },
  { rejects: "an empty document", source: "", path: "(root)", message: "not null" },
  { rejects: "a non-object value", source: 42, path: "(root)", message: "not a number" },
  // Unknown fields, anywhere
  {
    rejects: "an unknown top-level field",
    source: workflow([sleep("a")], { retries: 3 }),
    path: "retries",
    message: "unknown field",
  },
  {
    rejects: "a camelCase step field",
    source: workflow([sleep("a", { dependsOn: [] })]),
    path: "steps[0].dependsOn",
    message: 'did you mean "depends_on"?',
  },
  {
    rejects: "an unknown http field",
    source: workflow([{ name: "a", http: { url: "https://example.com", methd: "GET" } }]),
    path: "steps[0].http.methd",
    message: "unknown field",
  },
  {
    rejects: "an unknown retry field",
    source: workflow([sleep("a", { retry: { attempts: 3 } })]),
    path: "steps[0].retry.attempts",
    message: "unknown field",
  },
  {
    rejects: "an unknown trigger field",
    source: workflow([sleep("a")], { trigger: { event: "x", when: "y" } }),
    path: "trigger.when",
    message: "unknown field",
  },
  {
    rejects: "depends_on on an error handler",
    source: workflow([sleep("a")], { error_handling: [{ on_error: "*", name: "h", sleep: "1s", depends_on: ["a"] }] }),
    path: "error_handling[0].depends_on",
    message: "cannot have depends_on",
  },
  {
    rejects: "for_each on an error handler",
    source: workflow([sleep("a")], {
      error_handling: [{ on_error: "*", name: "h", sleep: "1s", for_each: "{{ input.x }}" }],
    }),
    path: "error_handling[0].for_each",
    message: "cannot have for_each",
  },
  // Names
  {
    rejects: "a workflow name with capitals and spaces",
    source: { name: "Order Processing", steps: [sleep("a")] },
    path: "name",
    message: "must match ^[a-z]",
  },
  {
    rejects: "a step name that is not a JMESPath identifier",
    source: workflow([sleep("my-step")]),
    path: "steps[0].name",
    message: "must match ^[A-Za-z_]",
  },
  {
    rejects: "a missing step name",
    source: workflow([{ sleep: "1s" }]),
    path: "steps[0].name",
    message: "is required",
  },
  {
    rejects: "duplicate step names",
    source: workflow([sleep("a"), sleep("a")]),
    path: "steps[1].name",
    message: 'duplicate step name "a" (also steps[0])',
  },
  {
    rejects: "an error handler named like a step",
    source: workflow([sleep("a")], { error_handling: [{ on_error: "*", name: "a", sleep: "1s" }] }),
    path: "error_handling[0].name",
    message: 'duplicate step name "a"',
  },
  { rejects: "a workflow without steps", source: workflow([]), path: "steps", message: "must have at least one step" },
  // Dependencies
  {
    rejects: "an unknown dependency",
    source: workflow([sleep("a"), sleep("b"), sleep("c", { depends_on: ["a", "ghost"] })]),
    path: "steps[2].depends_on",
    message: 'unknown step "ghost"',
  },
  {
    rejects: "a dependency on itself",
    source: workflow([sleep("a", { depends_on: "a" })]),
    path: "steps[0].depends_on",
    message: "cannot depend on itself",
  },
  {
    rejects: "a dependency listed twice",
    source: workflow([sleep("a"), sleep("b", { depends_on: ["a", "a"] })]),
    path: "steps[1].depends_on",
    message: '"a" is listed twice',
  },
  {
    rejects: "a dependency on an error handler",
    source: workflow([sleep("a", { depends_on: "h" })], {
      error_handling: [{ on_error: "*", name: "h", sleep: "1s" }],
    }),
    path: "steps[0].depends_on",
    message: '"h" is an error handler, not a step',
  },
  {
    rejects: "depends_on of the wrong type",
    source: workflow([sleep("a", { depends_on: 3 })]),
    path: "steps[0].depends_on",
    message: "must be a step name or a list of step names",
  },
  {
    rejects: "a dependency cycle, naming it",
    source: workflow([
      sleep("a", { depends_on: "c" }),
      sleep("b", { depends_on: "a" }),
      sleep("c", { depends_on: "b" }),
      sleep("d"),
    ]),
    path: "steps[0].depends_on",
    message: "dependency cycle: a → c → b → a",
  },
  // Step kinds
  {
    rejects: "a step without a kind",
    source: workflow([{ name: "a" }]),
    path: "steps[0]",
    message: "exactly one of agent, http, sleep, wait_for_event, emit (found none)",
  },
  {
    rejects: "a step with two kinds",
    source: workflow([{ name: "a", sleep: "1s", emit: { topic: "t" } }]),
    path: "steps[0]",
    message: "(found sleep and emit)",
  },
  {
    rejects: "action without agent",
    source: workflow([sleep("a", { action: "x" })]),
    path: "steps[0].action",
    message: "is only valid with agent",
  },
  {
    rejects: "agent without action",
    source: workflow([{ name: "a", agent: "core" }]),
    path: "steps[0].action",
    message: "is required with agent",
  },
  {
    rejects: "an unknown http method",
    source: workflow([{ name: "a", http: { url: "https://example.com", method: "FETCH" } }]),
    path: "steps[0].http.method",
    message: "Invalid option",
  },
  {
    rejects: "a GET request with a body",
    source: workflow([{ name: "a", http: { url: "https://example.com", method: "GET", body: {} } }]),
    path: "steps[0].http.body",
    message: "a GET request has no body",
  },
  {
    rejects: "an invalid header name",
    source: workflow([{ name: "a", http: { url: "https://example.com", headers: { "X Y": "v" } } }]),
    path: 'steps[0].http.headers["X Y"]',
    message: "valid HTTP header name",
  },
  {
    rejects: "a wait without timeout",
    source: workflow([{ name: "a", wait_for_event: { topic: "t" } }]),
    path: "steps[0].wait_for_event.timeout",
    message: "is required",
  },
  {
    rejects: "a templated topic",
    source: workflow([{ name: "a", emit: { topic: "order.{{ input.kind }}" } }]),
    path: "steps[0].emit.topic",
    message: "must be a fixed topic",
  },
  // Durations and options
  {
    rejects: "a malformed duration",
    source: workflow([{ name: "a", sleep: "30 s" }]),
    path: "steps[0].sleep",
    message: 'invalid duration "30 s"',
  },
  {
    rejects: "a zero duration",
    source: workflow([{ name: "a", sleep: "0ms" }]),
    path: "steps[0].sleep",
    message: "must be greater than zero",
  },
  {
    rejects: "a duration over 30 days",
    source: workflow([sleep("a", { timeout: "31d" })]),
    path: "steps[0].timeout",
    message: "exceeds the maximum of 30d",
  },
  {
    rejects: "a numeric duration",
    source: workflow([{ name: "a", sleep: 30 }]),
    path: "steps[0].sleep",
    message: "expected string",
  },
  {
    rejects: "a bad wait timeout",
    source: workflow([{ name: "a", wait_for_event: { topic: "t", timeout: "1w" } }]),
    path: "steps[0].wait_for_event.timeout",
    message: "invalid duration",
  },
  {
    rejects: "max_attempts of 0",
    source: workflow([sleep("a", { retry: { max_attempts: 0 } })]),
    path: "steps[0].retry.max_attempts",
    message: ">=1",
  },
  {
    rejects: "max_attempts over 100",
    source: workflow([sleep("a", { retry: { max_attempts: 101 } })]),
    path: "steps[0].retry.max_attempts",
    message: "<=100",
  },
  {
    rejects: "a fractional max_attempts",
    source: workflow([sleep("a", { retry: { max_attempts: 2.5 } })]),
    path: "steps[0].retry.max_attempts",
    message: "whole number",
  },
  {
    rejects: "an unknown backoff",
    source: workflow([sleep("a", { retry: { backoff: "linear" } })]),
    path: "steps[0].retry.backoff",
    message: "Invalid option",
  },
  {
    rejects: "initial_interval above max_interval",
    source: workflow([sleep("a", { retry: { initial_interval: "10m" } })]),
    path: "steps[0].retry.initial_interval",
    message: "10m exceeds max_interval (5m)",
  },
  {
    rejects: "an unknown trigger_rule",
    source: workflow([sleep("a", { trigger_rule: "any" })]),
    path: "steps[0].trigger_rule",
    message: "Invalid option",
  },
  // Templates
  {
    rejects: "bad template syntax",
    source: workflow([{ name: "a", agent: "core", action: "x", input: { brief: "{{ input. }}" } }]),
    path: "steps[0].input.brief",
    message: 'invalid template "{{ input. }}"',
  },
  {
    rejects: "an unterminated template",
    source: workflow([{ name: "a", emit: { topic: "t", data: ["{{ input.x"] } }]),
    path: "steps[0].emit.data[0]",
    message: "unterminated template",
  },
  {
    rejects: "an unknown template function",
    source: workflow([sleep("a", { when: "{{ shout(input.x) }}" })]),
    path: "steps[0].when",
    message: "unknown function shout()",
  },
  {
    rejects: "a template reading a step that is not a dependency",
    source: workflow([
      sleep("a"),
      sleep("b"),
      { name: "c", depends_on: "b", emit: { topic: "t", data: { x: "{{ steps.a.output }}" } } },
    ]),
    path: "steps[2].emit.data.x",
    message:
      'reads steps.a, but "a" is not among this step\'s dependencies (direct or transitive), so its output would not exist yet',
  },
  {
    rejects: "a template reading an unknown step",
    source: workflow([sleep("a", { when: "{{ steps.ghost.output }}" })]),
    path: "steps[0].when",
    message: 'there is no step "ghost"',
  },
  {
    rejects: "a template reading its own step",
    source: workflow([sleep("a", { when: "{{ steps.a.output }}" })]),
    path: "steps[0].when",
    message: "cannot read its own output",
  },
  {
    rejects: "a template reading steps as a whole",
    source: workflow([sleep("a"), sleep("b", { depends_on: "a", when: "{{ length(keys(steps)) > `0` }}" })]),
    path: "steps[1].when",
    message: "reads steps as a whole",
  },
  {
    rejects: "a template reading a name not in scope",
    source: workflow([sleep("a", { when: "{{ inputs.ok }}" })]),
    path: "steps[0].when",
    message: 'reads "inputs", which is not in scope here (available: input, trigger, steps, run)',
  },
  {
    rejects: "item outside a for_each step",
    source: workflow([{ name: "a", emit: { topic: "t", data: "{{ item }}" } }]),
    path: "steps[0].emit.data",
    message: 'reads "item"',
  },
  {
    rejects: "item in when, which is evaluated before fan-out",
    source: workflow([sleep("a", { for_each: "{{ input.xs }}", when: "{{ item }}" })]),
    path: "steps[0].when",
    message: 'reads "item"',
  },
  {
    rejects: "a when that is not a single template",
    source: workflow([sleep("a", { when: "yes" })]),
    path: "steps[0].when",
    message: 'must be a single template "{{ expression }}"',
  },
  {
    rejects: "a for_each that interpolates text",
    source: workflow([sleep("a", { for_each: "{{ input.a }} and {{ input.b }}" })]),
    path: "steps[0].for_each",
    message: "must be a single template",
  },
  {
    rejects: "a filter reading more than the event",
    source: workflow([sleep("a")], { trigger: { event: "order.created", filter: "{{ input.total > `10` }}" } }),
    path: "trigger.filter",
    message: 'reads "input", which is not in scope here (available: event)',
  },
  {
    rejects: "a concurrency key reading step outputs",
    source: workflow([sleep("a")], { concurrency: { key: "{{ steps.a.output }}", limit: 1 } }),
    path: "concurrency.key",
    message: 'reads "steps"',
  },
  {
    rejects: "an output reading an unknown step",
    source: workflow([sleep("a")], { output: { x: "{{ steps.ghost.output }}" } }),
    path: "output.x",
    message: 'there is no step "ghost"',
  },
  // Triggers
  {
    rejects: "an unknown trigger word",
    source: workflow([sleep("a")], { trigger: "cron" }),
    path: "trigger",
    message: 'must be "manual", {event: <topic>} or {cron: <expression>}',
  },
  {
    rejects: "a trigger with both event and cron",
    source: workflow([sleep("a")], { trigger: { event: "x", cron: "* * * * *" } }),
    path: "trigger",
    message: "has both event and cron",
  },
  {
    rejects: "an empty trigger object",
    source: workflow([sleep("a")], { trigger: {} }),
    path: "trigger",
    message: "needs event or cron",
  },
  {
    rejects: "a filter without an event",
    source: workflow([sleep("a")], { trigger: { cron: "* * * * *", filter: "{{ event }}" } }),
    path: "trigger.filter",
    message: "only valid with an event trigger",
  },
  {
    rejects: "a bad cron expression",
    source: workflow([sleep("a")], { trigger: { cron: "61 * * * *" } }),
    path: "trigger.cron",
    message: 'invalid cron expression "61 * * * *"',
  },
  {
    rejects: "a cron expression with too few fields",
    source: workflow([sleep("a")], { trigger: { cron: "every minute" } }),
    path: "trigger.cron",
    message: "invalid cron expression",
  },
  {
    rejects: "a cron expression that never fires",
    source: workflow([sleep("a")], { trigger: { cron: "0 0 30 2 *" } }),
    path: "trigger.cron",
    message: "never fires",
  },
  // Concurrency
  {
    rejects: "a concurrency limit of 0",
    source: workflow([sleep("a")], { concurrency: { key: "k", limit: 0 } }),
    path: "concurrency.limit",
    message: ">=1",
  },
  // HTTP hosts
  {
    rejects: "a loopback URL",
    source: workflow([{ name: "a", http: { url: "http://127.0.0.1:8080/x" } }]),
    options: { env },
    path: "steps[0].http.url",
    message: 'host "127.0.0.1" is in a refused range (loopback 127.0.0.0/8)',
  },
  {
    rejects: "localhost",
    source: workflow([{ name: "a", http: { url: "http://localhost/x" } }]),
    options: { env },
    path: "steps[0].http.url",
    message: "loopback",
  },
  {
    rejects: "an IPv6 loopback URL",
    source: workflow([{ name: "a", http: { url: "http://[::1]/x" } }]),
    options: { env },
    path: "steps[0].http.url",
    message: "loopback",
  },
  {
    rejects: "a private URL with a templated path",
    source: workflow([{ name: "a", http: { url: "http://10.0.0.1/orders/{{ input.id }}" } }]),
    options: { env },
    path: "steps[0].http.url",
    message: "private (RFC 1918)",
  },
  {
    rejects: "an IPv6 unique-local URL",
    source: workflow([{ name: "a", http: { url: "https://[fd00::5]/" } }]),
    options: { env },
    path: "steps[0].http.url",
    message: "unique-local (private)",
  },
  {
    rejects: "a link-local URL",
    source: workflow([{ name: "a", http: { url: "http://169.254.169.254/latest" } }]),
    options: { env },
    path: "steps[0].http.url",
    message: "link-local",
  },
  {
    rejects: "0.0.0.0",
    source: workflow([{ name: "a", http: { url: "http://0.0.0.0/" } }]),
    options: { env },
    path: "steps[0].http.url",
    message: "unspecified",
  },
  {
    rejects: "a handler calling a private host",
    source: workflow([sleep("a")], {
      error_handling: [{ on_error: "a", name: "h", http: { url: "http://192.168.0.1/" } }],
    }),
    options: { env },
    path: "error_handling[0].http.url",
    message: "private",
  },
  {
    rejects: "a non-http scheme",
    source: workflow([{ name: "a", http: { url: "ftp://example.com/x" } }]),
    path: "steps[0].http.url",
    message: "only http and https",
  },
  {
    rejects: "a URL without scheme before a template",
    source: workflow([{ name: "a", http: { url: "example.com/{{ input.x }}" } }]),
    path: "steps[0].http.url",
    message: "must start with http:// or https://",
  },
  {
    rejects: "a URL that is not a URL",
    source: workflow([{ name: "a", http: { url: "not a url" } }]),
    path: "steps[0].http.url",
    message: "is not a valid URL",
  },
  // Agents and error handlers
  {
    rejects: "an unknown agent action",
    source: workflow([{ name: "a", agent: "design-ia", action: "nope" }]),
    options: { agentExists: (agent, action) => agent === "design-ia" && action === "design_system" },
    path: "steps[0].agent",
    message: 'unknown agent action "design-ia.nope"',
  },
  {
    rejects: "on_error naming an unknown step",
    source: workflow([sleep("a")], { error_handling: [{ on_error: "ghost", name: "h", sleep: "1s" }] }),
    path: "error_handling[0].on_error",
    message: 'unknown step "ghost"',
  },
  {
    rejects: "on_error naming another handler",
    source: workflow([sleep("a")], {
      error_handling: [
        { on_error: "*", name: "h1", sleep: "1s" },
        { on_error: "h1", name: "h2", sleep: "1s" },
      ],
    }),
    path: "error_handling[1].on_error",
    message: "handlers do not handle each other's failures",
  },
  {
    rejects: "a handler reading a step that may not have run",
    source: workflow([sleep("a"), sleep("b")], {
      error_handling: [{ on_error: "b", name: "h", emit: { topic: "t", data: "{{ steps.a.output }}" } }],
    }),
    path: "error_handling[0].emit.data",
    message: 'is not a dependency (direct or transitive) of "b"',
  },
  {
    rejects: "a handler without on_error",
    source: workflow([sleep("a")], { error_handling: [{ name: "h", sleep: "1s" }] }),
    path: "error_handling[0].on_error",
    message: "is required",
  },
  // Values that are not JSON
  {
    rejects: "a non-finite number in input",
    source: workflow([{ name: "a", agent: "x", action: "y", input: { n: Number.NaN } }]),
    path: "steps[0].input.n",
    message: "NaN is not a JSON number",
  },
  {
    rejects: "a non-JSON object in data",
    source: workflow([{ name: "a", emit: { topic: "t", data: { at: new Date(0) } } }]),
    path: "steps[0].emit.data.at",
    message: "an object of type Date is not a JSON value",
  },
];

describe("parseDefinition rejects", () => {
  it.each(cases)("$rejects", ({ source, options, path, message }) => {
    const issues = issuesOf(source, options);
    expect(issues).toContainEqual({ path, message: expect.stringContaining(message) as unknown });
  });
});

describe("DefinitionError", () => {
  it("has code invalid_definition and a message listing each issue as path: message", () => {
    let error: unknown;
    try {
      parseDefinition(workflow([sleep("a"), sleep("b"), sleep("c", { depends_on: ["ghost", "a", "spook"] })]));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DefinitionError);
    const definitionError = error as DefinitionError;
    expect(definitionError.code).toBe("invalid_definition");
    expect(definitionError.issues).toEqual([
      { path: "steps[2].depends_on", message: 'unknown step "ghost"' },
      { path: "steps[2].depends_on", message: 'unknown step "spook"' },
    ]);
    expect(definitionError.message).toBe(
      'Invalid workflow definition (2 problems):\n- steps[2].depends_on: unknown step "ghost"\n- steps[2].depends_on: unknown step "spook"',
    );
  });

  it("reports every problem of a stage at once, not only the first", () => {
    const issues = issuesOf({ name: "BAD", extra: 1, steps: [{ name: "a-b", sleep: "0s" }] });
    expect(issues.map((i) => i.path).sort()).toEqual(["extra", "name", "steps[0].name", "steps[0].sleep"]);
  });

  it("bounds YAML alias expansion (a billion-laughs document fails fast)", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`);
    }
    const started = Date.now();
    expect(issuesOf(levels.join("\n"))).toContainEqual({
      path: "(root)",
      message: expect.stringContaining("alias") as unknown,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("refuses huge sources before parsing them", () => {
    expect(issuesOf(`name: wf\ndescription: ${"x".repeat(1_100_000)}\n`)).toEqual([
      { path: "(root)", message: expect.stringContaining("the limit is 1000000") as unknown },
    ]);
  });

  it("reports absurd nesting as an issue, not a stack overflow", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    expect(issuesOf(workflow([{ name: "a", agent: "x", action: "y", input: deep }]))[0]?.message).toMatch(
      /nested more than 64 levels/,
    );
    expect(issuesOf(`${"[".repeat(50_000)}${"]".repeat(50_000)}`)[0]?.path).toBe("(root)");
  });

  it("turns a throwing agentExists into a DefinitionError", () => {
    const agentExists = () => {
      throw new Error("registry down");
    };
    expect(issuesOf(workflow([{ name: "a", agent: "x", action: "y" }]), { agentExists })).toEqual([
      { path: "(root)", message: "could not be validated: registry down" },
    ]);
  });
});
