import { describe, expect, it } from "vitest";
import {
  ALL_STEPS,
  TemplateError,
  type TemplateScope,
  checkTemplates,
  evaluateExpression,
  isSingleTemplate,
  renderTemplates,
  templateReferences,
} from "@/engine/definition";

const scope: TemplateScope = {
  input: { id: 42, name: "Ada", tags: ["a", "b"], nothing: null, flag: true, pages: ["home", "about"] },
  trigger: {
    type: "event",
    data: {
      line_items: [
        { product_id: "p1", qty: 2 },
        { product_id: "p2", qty: 1 },
      ],
      total: 12.5,
    },
  },
  steps: { fetch: { output: { ok: true, rows: [1, 2, 3] } } },
  run: { id: "run-1", workflow: "demo", version: 3 },
};

function renderError(value: unknown, at: TemplateScope = scope): TemplateError {
  try {
    renderTemplates(value, at);
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error("expected a TemplateError");
}

describe("renderTemplates: a string that is exactly one template yields the typed result", () => {
  it("yields an array for a projection", () => {
    expect(renderTemplates("{{ trigger.data.line_items[*].product_id }}", scope)).toEqual(["p1", "p2"]);
  });

  it.each([
    ["{{ input.id }}", 42],
    ["{{ trigger.data.total }}", 12.5],
    ["{{ input.flag }}", true],
    ["{{ input.nothing }}", null],
    ["{{ input.missing }}", null],
    ["{{ steps.fetch.output }}", { ok: true, rows: [1, 2, 3] }],
    ["{{ run.version }}", 3],
    ["{{ sum(trigger.data.line_items[*].qty) }}", 3],
    ["  {{ input.name }}\n", "Ada"],
    ["{{input.id}}", 42],
    ["{{ {id: input.id, first: input.tags[0]} }}", { id: 42, first: "a" }],
    ["{{ {outer: {inner: input.id}} }}", { outer: { inner: 42 } }],
    ["{{ '}}' }}", "}}"],
    ['{{ `{"a": [1]}` }}', { a: [1] }],
  ])("%j renders to %j", (template, expected) => {
    expect(renderTemplates(template, scope)).toEqual(expected);
  });
});

describe("renderTemplates: templates inside longer text interpolate as text", () => {
  it.each([
    ["Order {{ input.id }} for {{ input.name }}", "Order 42 for Ada"],
    ["tags: {{ input.tags }}", 'tags: ["a","b"]'],
    ["[{{ input.nothing }}]", "[]"],
    ["ok={{ input.flag }}", "ok=true"],
    ["{{ input.id }}{{ input.id }}", "4242"],
    ["{{ input.name }} says {{ '{{' }} hi", "Ada says {{ hi"],
    ["obj {{ steps.fetch.output }}", 'obj {"ok":true,"rows":[1,2,3]}'],
  ])("%j renders to %j", (template, expected) => {
    expect(renderTemplates(template, scope)).toBe(expected);
  });
});

describe("renderTemplates: structure", () => {
  it("renders templates anywhere in nested objects and arrays, keeping keys as written", () => {
    const value = { "{{ input.id }}": "{{ input.id }}", list: ["{{ input.name }}", 1, { deep: "id-{{ input.id }}" }] };
    expect(renderTemplates(value, scope)).toEqual({ "{{ input.id }}": 42, list: ["Ada", 1, { deep: "id-42" }] });
  });

  it("returns values without templates unchanged, as the very same objects", () => {
    const value = { a: [1, "text", { b: null, c: true }], d: "}} not a template {", e: 1.5 };
    expect(renderTemplates(value, scope)).toBe(value);
    expect(renderTemplates("plain", scope)).toBe("plain");
    expect(renderTemplates(7, scope)).toBe(7);
    expect(renderTemplates(null, scope)).toBeNull();
  });

  it("does not modify the value it renders", () => {
    const value = { a: "{{ input.id }}", b: ["{{ input.name }}"] };
    renderTemplates(value, scope);
    expect(value).toEqual({ a: "{{ input.id }}", b: ["{{ input.name }}"] });
  });

  it("puts item and index in scope for for_each steps", () => {
    const itemScope: TemplateScope = { ...scope, item: { page: "about" }, index: 1 };
    expect(
      renderTemplates({ page: "{{ item.page }}", n: "{{ index }}", label: "#{{ index }}: {{ item.page }}" }, itemScope),
    ).toEqual({
      page: "about",
      n: 1,
      label: "#1: about",
    });
  });

  it("puts event and error in scope when given", () => {
    expect(
      renderTemplates("{{ event.data.order_id == input.id }}", { ...scope, event: { data: { order_id: 42 } } }),
    ).toBe(true);
    expect(
      renderTemplates("{{ error.step }}: {{ error.message }}", { ...scope, error: { step: "fetch", message: "boom" } }),
    ).toBe("fetch: boom");
  });

  it("reads data, never JavaScript members: inherited properties render as null", () => {
    expect(renderTemplates("{{ input.constructor }}", scope)).toBeNull();
    expect(renderTemplates("{{ input.__proto__ }}", scope)).toBeNull();
    expect(renderTemplates("{{ [input.toString, input.hasOwnProperty] }}", scope)).toEqual([null, null]);
    expect(renderTemplates("{{ input.name.length }}", scope)).toBeNull();
  });
});

describe("renderTemplates: failures are TemplateErrors naming the expression", () => {
  it("reports a syntax error", () => {
    const error = renderError({ x: "{{ input. }}" });
    expect(error.code).toBe("template_error");
    expect(error.expression).toBe("input.");
    expect(error.message).toMatch(/invalid template "\{\{ input\. \}\}"/);
  });

  it("reports an evaluation error", () => {
    const error = renderError("{{ abs(input.name) }}");
    expect(error.expression).toBe("abs(input.name)");
    expect(error.message).toMatch(/failed: .*abs\(\)/);
  });

  it("reports an unknown function, an empty template and an unterminated one", () => {
    expect(renderError("{{ shout(input.name) }}").message).toMatch(/Unknown function: shout/);
    expect(renderError("a {{ }} b").message).toMatch(/empty expression/);
    expect(renderError("{{ input.id ").message).toMatch(/unterminated template/);
  });

  it("never evaluates JavaScript: code is a JMESPath syntax error", () => {
    expect(renderError("{{ process.exit(1) }}")).toBeInstanceOf(TemplateError);
    expect(renderError("{{ (() => 1)() }}")).toBeInstanceOf(TemplateError);
    expect(renderTemplates("{{ constructor }}", scope)).toBeNull();
  });

  it("fails cleanly on a cyclic value instead of overflowing the stack", () => {
    const cyclic: Record<string, unknown> = { a: "{{ input.id }}" };
    cyclic.self = cyclic;
    expect(renderError(cyclic).message).toMatch(/nested more than/);
  });
});

describe("evaluateExpression", () => {
  it("evaluates a bare expression against the scope", () => {
    expect(evaluateExpression("input.tags[-1]", scope)).toBe("b");
    expect(() => evaluateExpression("input[", scope)).toThrow(TemplateError);
  });
});

describe("isSingleTemplate", () => {
  it("is true only for exactly one template with optional whitespace around it", () => {
    expect(isSingleTemplate("{{ a }}")).toBe(true);
    expect(isSingleTemplate(" {{ a }} ")).toBe(true);
    expect(isSingleTemplate("x{{ a }}")).toBe(false);
    expect(isSingleTemplate("{{ a }}{{ b }}")).toBe(false);
    expect(isSingleTemplate("a")).toBe(false);
    expect(isSingleTemplate("{{ a")).toBe(false);
  });
});

describe("checkTemplates", () => {
  it("finds every syntax problem with the path of the string that holds it", () => {
    const value = {
      ok: "{{ input.id }}",
      list: ["fine", "{{ input[ }}"],
      "X-Key": { deep: "a {{ nope( }} b {{ still.fine }}" },
      open: "{{ x",
    };
    expect(checkTemplates(value, "steps[0].input")).toEqual([
      {
        path: "steps[0].input.list[1]",
        message: expect.stringMatching(/^invalid template "\{\{ input\[ \}\}": /) as unknown,
      },
      {
        path: 'steps[0].input["X-Key"].deep',
        message: expect.stringMatching(/^invalid template "\{\{ nope\( \}\}": /) as unknown,
      },
      { path: "steps[0].input.open", message: expect.stringMatching(/^unterminated template/) as unknown },
    ]);
  });

  it("reports unknown functions, which only fail at run time otherwise", () => {
    expect(checkTemplates("{{ shout(input.x) }}", "when")).toEqual([
      { path: "when", message: 'unknown function shout() in "{{ shout(input.x) }}"' },
    ]);
  });

  it("accepts valid templates and plain values", () => {
    expect(checkTemplates({ a: "{{ length(input.items) > `2` }}", b: [1, null, "text"] }, "input")).toEqual([]);
  });
});

describe("templateReferences", () => {
  it.each([
    ["{{ steps.a.output }}", ["a"]],
    ["{{ steps.a.output.x }} and {{ steps.b.output }}", ["a", "b"]],
    ["{{ $.steps.a.output }}", ["a"]],
    ['{{ steps."a".output }}', ["a"]],
    ["{{ steps.[a, b] }}", ["a", "b"]],
    ["{{ steps | a.output }}", ["a"]],
    ["{{ let $s = steps in $s.c.output }}", ["c"]],
    ["{{ not_null(steps.a.output, steps.b.output) }}", ["a", "b"]],
    ["{{ input.flag ? steps.a.output : steps.b.output }}", ["a", "b"]],
    ["{{ map(&$.steps.a.output, input.items) }}", ["a"]],
    ["{{ input.items[*].steps.a }}", []],
    ["{{ input.steps.a }}", []],
    ["{{ map(&steps.a, input.items) }}", []],
    ["{{ input.id }}", []],
    ["{{ steps }}", [ALL_STEPS]],
    ["{{ keys(steps) }}", [ALL_STEPS]],
    ["{{ steps.* }}", [ALL_STEPS]],
    ["{{ @ }}", [ALL_STEPS]],
  ])("%s references %j", (template, expected) => {
    expect([...templateReferences({ field: template })].sort()).toEqual(expected);
  });

  it("walks nested values and ignores invalid templates", () => {
    expect(
      [
        ...templateReferences({ a: ["{{ steps.x.output }}", { b: "{{ steps.y. }}" }], c: "{{ steps.z.output }}" }),
      ].sort(),
    ).toEqual(["x", "z"]);
  });
});
