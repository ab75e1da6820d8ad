/**
 * fast-check arbitraries for valid workflow definitions, in the authoring (raw) format: DAGs of
 * random steps of every kind with random options, templates reading only ancestors' outputs.
 */
import fc from "fast-check";

type Raw = Record<string, unknown>;

const UNITS = [
  ["ms", 1],
  ["s", 1_000],
  ["m", 60_000],
  ["h", 3_600_000],
  ["d", 86_400_000],
] as const;

/** A duration text and its milliseconds (1ms to 30d). */
export const duration = fc
  .constantFrom(...UNITS)
  .chain(([unit, ms]) =>
    fc
      .integer({ min: 1, max: Math.min(100_000, Math.floor((30 * 86_400_000) / ms)) })
      .map((n) => ({ text: `${n}${unit}`, ms: n * ms })),
  );

/** Plain JSON without template syntax (a stray `{{` would be a template error). */
export const json = fc.jsonValue({ maxDepth: 3 }).filter((value) => !JSON.stringify(value).includes("{{"));

// stringMatching is costly to build (~30ms): build each once, never inside a chain.
const workflowName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/);
const stepName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/);
const plainText = fc.string().filter((text) => !text.includes("{{"));
const topic = fc.stringMatching(/^[a-z]{1,8}(\.[a-z]{1,8}){0,2}$/);
const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);

/** A template reading one of `deps`' outputs, or the input when there are none. */
function templateOver(deps: string[]): fc.Arbitrary<string> {
  const reads =
    deps.length === 0 ? fc.constant("input.value") : fc.constantFrom(...deps).map((d) => `steps.${d}.output`);
  return fc
    .tuple(reads, fc.constantFrom("", ".id", "[0]", " || `null`"))
    .map(([path, suffix]) => `{{ ${path}${suffix} }}`);
}

/** JSON, possibly with templates in it (whole-value and interpolated). */
function jsonWithTemplates(deps: string[]): fc.Arbitrary<unknown> {
  const template = templateOver(deps);
  return fc.oneof(json, template, fc.record({ a: template, b: json, c: template.map((t) => `text ${t} more`) }));
}

const retry = fc
  .record(
    {
      max_attempts: fc.integer({ min: 1, max: 100 }),
      backoff: fc.constantFrom("exponential", "fixed"),
      intervals: fc
        .tuple(duration, duration)
        .map(([a, b]) => (a.ms <= b.ms ? { low: a, high: b } : { low: b, high: a })),
    },
    { requiredKeys: [] },
  )
  .map(({ intervals, ...rest }) =>
    intervals ? { ...rest, initial_interval: intervals.low.text, max_interval: intervals.high.text } : rest,
  );

function kindFields(deps: string[]): fc.Arbitrary<Raw> {
  const template = templateOver(deps);
  const agent = fc.record(
    {
      agent: fc.constantFrom("core", "design-ia"),
      action: fc.constantFrom("run", "design_system"),
      input: jsonWithTemplates(deps),
    },
    { requiredKeys: ["agent", "action"] },
  );
  const http = fc
    .record(
      {
        url: fc.constantFrom(
          "https://api.example.com/x",
          "https://{{ input.host }}/y",
          "https://hooks.example.org/{{ input.id }}",
          "{{ input.url }}",
        ),
        method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE"),
        headers: fc.dictionary(headerName, fc.oneof(plainText, template), { maxKeys: 3 }),
        body: jsonWithTemplates(deps),
      },
      { requiredKeys: ["url"] },
    )
    .map((h) => (h.method === "GET" ? { ...h, body: undefined } : h))
    .map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)));
  const wait = fc.record(
    {
      topic,
      match: fc.constantFrom("{{ event.data.id == input.id }}", "{{ event.data.ok }}"),
      timeout: duration.map((d) => d.text),
    },
    { requiredKeys: ["topic", "timeout"] },
  );
  const emit = fc.record({ topic, data: jsonWithTemplates(deps) }, { requiredKeys: ["topic"] });
  return fc.oneof(
    agent,
    http.map((h) => ({ http: h })),
    duration.map((d) => ({ sleep: d.text })),
    wait.map((w) => ({ wait_for_event: w })),
    emit.map((e) => ({ emit: e })),
  );
}

function options(deps: string[], allowForEach: boolean): fc.Arbitrary<Raw> {
  return fc.record(
    {
      when: templateOver(deps),
      trigger_rule: fc.constantFrom("all_success", "all_done", "one_success"),
      ...(allowForEach ? { for_each: fc.constantFrom("{{ input.items }}", "{{ input.pages[*].id }}") } : {}),
      retry,
      timeout: duration.map((d) => d.text),
    },
    { requiredKeys: [] },
  );
}

function step(name: string, earlier: string[]): fc.Arbitrary<Raw> {
  return fc.subarray(earlier, { maxLength: Math.min(3, earlier.length) }).chain((deps) =>
    fc.tuple(kindFields(deps), options(deps, true), fc.boolean()).map(([kind, opts, single]) => ({
      name,
      ...(deps.length === 0 ? {} : { depends_on: single && deps.length === 1 ? deps[0] : deps }),
      ...kind,
      ...opts,
    })),
  );
}

function handler(name: string, steps: string[]): fc.Arbitrary<Raw> {
  return fc.tuple(fc.constantFrom("*", ...steps), options([], false)).map(([onError, opts]) => ({
    on_error: onError,
    name,
    emit: { topic: "workflow.failed", data: { step: "{{ error.step }}", message: "{{ error.message }}" } },
    ...opts,
  }));
}

const trigger = fc.oneof(
  fc.constant(undefined),
  fc.constant("manual"),
  fc.record({ event: topic, filter: fc.constant("{{ event.data.total > `10` }}") }, { requiredKeys: ["event"] }),
  fc.constantFrom("*/5 * * * *", "0 9 * * 1-5", "@daily", "30 2 1 * *").map((cron) => ({ cron })),
);

/** A valid definition in the authoring format. */
export const validDefinition: fc.Arbitrary<Raw> = fc
  .uniqueArray(stepName, { minLength: 2, maxLength: 9 })
  .chain((names) => {
    const handlerCount = Math.min(2, Math.floor(names.length / 3));
    const stepNames = names.slice(0, names.length - handlerCount);
    const handlerNames = names.slice(names.length - handlerCount);
    const steps = fc.tuple(...stepNames.map((name, i) => step(name, stepNames.slice(0, i))));
    const handlers = fc.tuple(...handlerNames.map((name) => handler(name, stepNames)));
    const output = fc
      .constantFrom(...stepNames)
      .map((s) => ({ result: `{{ steps.${s}.output }}`, all: "{{ steps }}" }));
    return fc.record(
      {
        name: workflowName,
        description: fc.string(),
        trigger,
        concurrency: fc.record({
          key: fc.constantFrom("{{ input.customer_id }}", "fixed", "c-{{ run.workflow }}"),
          limit: fc.integer({ min: 1, max: 10_000 }),
        }),
        output,
        steps,
        error_handling: handlers,
      },
      { requiredKeys: ["name", "steps"] },
    );
  })
  .map((raw) => Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));

/** Token soup that looks like YAML definitions, to reach deeper than random characters do. */
export const yamlishText = fc
  .array(
    fc.constantFrom(
      "name: wf\n",
      "steps:\n",
      "  - name: a\n",
      "    sleep: 1s\n",
      "    depends_on: [a, b]\n",
      "    emit: {topic: t, data: ",
      "{{ steps.a.output }}",
      "{{",
      "}}",
      "&x ",
      "*x",
      "<<: *x\n",
      "[",
      "]",
      "{",
      "}",
      ": ",
      "- ",
      "\n",
      "  ",
      "'",
      '"',
      "!!binary ",
      "error_handling:\n",
      "  - on_error: '*'\n",
      "trigger: {cron: '* * * * *'}\n",
      "http: {url: 'http://127.0.0.1'}\n",
      "%YAML 1.2\n---\n",
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));

/** Token soup that looks like JMESPath, for template expressions. */
export const expressionText = fc
  .array(
    fc.constantFrom(
      "input",
      "steps",
      "a",
      ".",
      "[",
      "]",
      "*",
      "?",
      "@",
      "$",
      "&",
      "|",
      "||",
      "&&",
      "!",
      "==",
      ">",
      "(",
      ")",
      ",",
      ":",
      "{",
      "}",
      "`1`",
      '`{"a":[1]}`',
      "'x'",
      '"q"',
      "length(",
      "keys(",
      "sort_by(",
      "abs(",
      "to_number(",
      "let $v = ",
      " in ",
      "$v",
      "-",
      "+",
      "%",
      " ",
    ),
    { maxLength: 25 },
  )
  .map((parts) => parts.join(""));
