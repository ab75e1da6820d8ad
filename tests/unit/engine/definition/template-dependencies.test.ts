/**
 * The dependency analysis of templates sees through every JMESPath node type: an expression that
 * reads `steps.<id>.output…`, wrapped in any node the library parses, depends on exactly the
 * steps it names, and is never refused as reading `steps` as a whole. And `!` before a path
 * negates the whole path (template-not.ts).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ALL_STEPS,
  evaluateExpression,
  isTruthy,
  parseDefinition,
  templateReferences,
  type TemplateScope,
} from "@/engine/definition";
import { compileExpression } from "@/engine/definition/template-parse";

/** A path after `output`: fields, indexes, slices, projections, filters, flattens, value projections. */
const pathSegment = fc.constantFrom(
  ".ok",
  ".items",
  ".x",
  "[0]",
  "[-1]",
  "[*]",
  "[*].x",
  "[?x]",
  "[?!x].x",
  "[]",
  ".*",
  "[0:2]",
  '."quoted"',
);
const path = fc.array(pathSegment, { maxLength: 4 }).map((segments) => segments.join(""));
const stepId = fc.constantFrom("a", "b", "check", "fetch_2", "_z");

interface Read {
  text: string;
  steps: Set<string>;
}

/** One read of one step's output, in the three spellings of the scope. */
const read: fc.Arbitrary<Read> = fc
  .tuple(stepId, path, fc.constantFrom("steps.", "$.steps.", "steps."))
  .map(([id, rest, prefix]) => ({ text: `${prefix}${id}.output${rest}`, steps: new Set([id]) }));

/** Every node type the library parses, each wrapping one or two operands. */
function wrap(inner: fc.Arbitrary<Read>): fc.Arbitrary<Read> {
  const one = (f: (e: string) => string) => inner.map((e) => ({ text: f(e.text), steps: e.steps }));
  const two = (f: (a: string, b: string) => string) =>
    fc.tuple(inner, inner).map(([a, b]) => ({ text: f(a.text, b.text), steps: new Set([...a.steps, ...b.steps]) }));
  return fc.oneof(
    one((e) => `!${e}`), // NotExpression (the library binds it to the first field)
    one((e) => `!(${e})`),
    one((e) => `!!${e}`),
    one((e) => `-(${e})`), // Unary (parenthesised: `--a` is no expression)
    one((e) => `- ${e}`),
    one((e) => `+(${e})`),
    one((e) => `(${e})`),
    one((e) => `(${e})[0]`), // IndexExpression
    one((e) => `(${e})[1:]`), // Slice projection
    one((e) => `(${e})[*].x`), // Projection
    one((e) => `(${e})[?x].y`), // FilterProjection
    one((e) => `(${e})[]`), // Flatten
    one((e) => `(${e}).*`), // ValueProjection
    one((e) => `(${e}).x`), // Subexpression
    one((e) => `(${e} | [0])`), // Pipe (parenthesised, like every low-precedence wrapper, so an outer operator stays outside)
    one((e) => `(${e} | @)`),
    one((e) => `${e} == \`1\``), // Comparator
    one((e) => `${e} != 'x'`),
    one((e) => `${e} > \`1\``),
    one((e) => `(${e}) + \`1\``), // Arithmetic (parenthesised: `a[*] * b` would be a projection)
    one((e) => `(${e}) * \`2\``),
    one((e) => `${e} || input.x`), // OrExpression
    one((e) => `input.x && ${e}`), // AndExpression
    one((e) => `((${e}) ? 'yes' : 'no')`), // Ternary (branches parenthesised: the library's parser trips on `a[] : b`)
    one((e) => `(input.x ? (${e}) : \`null\`)`),
    one((e) => `length(${e})`), // Function
    one((e) => `not_null(${e}, \`0\`)`),
    one((e) => `map(&x, ${e})`), // ExpressionReference
    one((e) => `sort_by(${e}, &x)`),
    one((e) => `[${e}, input.x]`), // MultiSelectList
    one((e) => `{k: ${e}}`), // MultiSelectHash
    one((e) => `(let $v = ${e} in $v)`), // LetExpression, Binding, Variable
    two((a, b) => `${a} && ${b}`),
    two((a, b) => `${a} || !${b}`),
    two((a, b) => `[${a}, {b: ${b}}]`),
    two((a, b) => `${a} == ${b}`),
  );
}

const expression: fc.Arbitrary<Read> = fc.letrec((tie) => ({
  expr: fc.oneof({ depthSize: "small", withCrossShrink: true }, read, wrap(tie("expr") as fc.Arbitrary<Read>)),
})).expr;

const MAX_RUNS = { numRuns: 300 };

describe("template dependencies through every JMESPath node type", () => {
  it("names exactly the steps read, never `steps` as a whole", () => {
    fc.assert(
      fc.property(expression, (e) => {
        expect(compileExpression(e.text).ok, e.text).toBe(true);
        const refs = templateReferences({ when: `{{ ${e.text} }}` });
        expect(refs.has(ALL_STEPS), e.text).toBe(false);
        expect([...refs].sort(), e.text).toEqual([...e.steps].sort());
      }),
      MAX_RUNS,
    );
  });

  it("accepts such an expression as the `when` of a step that depends on the steps it reads", () => {
    fc.assert(
      fc.property(expression, (e) => {
        const ids = [...e.steps];
        const definition = {
          name: "wf",
          steps: [
            ...ids.map((id) => ({ name: id, sleep: "1s" })),
            { name: "gated", depends_on: ids, when: `{{ ${e.text} }}`, sleep: "1s" },
          ],
        };
        expect(() => parseDefinition(definition, { env: {} }), e.text).not.toThrow();
      }),
      MAX_RUNS,
    );
  });

  it('accepts `when: "{{ !steps.check.output.ok }}"` and runs the step when the check is not ok', () => {
    const definition = parseDefinition(
      {
        name: "wf",
        steps: [
          { name: "check", sleep: "1s" },
          { name: "fix", depends_on: "check", when: "{{ !steps.check.output.ok }}", sleep: "1s" },
        ],
      },
      { env: {} },
    );
    const when = definition.steps[1]?.when ?? "";
    expect(
      isTruthy(evaluateExpression(when.slice(2, -2).trim(), scopeWith({ check: { output: { ok: false } } }))),
    ).toBe(true);
    expect(isTruthy(evaluateExpression(when.slice(2, -2).trim(), scopeWith({ check: { output: { ok: true } } })))).toBe(
      false,
    );
  });
});

function scopeWith(steps: TemplateScope["steps"], input: unknown = {}): TemplateScope {
  return { input, trigger: null, steps, run: { id: "r", workflow: "wf", version: 1 } };
}

describe("`!` before a path negates the whole path", () => {
  /** A value for `steps.a.output`: objects with the fields the paths read, arrays of them. */
  const data = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.constantFrom(null, true, false, 0, 1, "", "x"),
      fc.array(tie("value"), { maxLength: 3 }),
      fc.record({ ok: tie("value"), items: tie("value"), x: tie("value"), quoted: tie("value") }, { requiredKeys: [] }),
    ),
  })).value;

  it("`!P` is the negation of P's truthiness for every path P", () => {
    fc.assert(
      fc.property(path, data, (rest, output) => {
        const scope = scopeWith({ a: { output } });
        const p = `steps.a.output${rest}`;
        expect(evaluateExpression(`!${p}`, scope), p).toBe(!isTruthy(evaluateExpression(p, scope)));
        expect(evaluateExpression(`!!${p}`, scope), p).toBe(isTruthy(evaluateExpression(p, scope)));
      }),
      MAX_RUNS,
    );
  });

  it("keeps `!` tighter than comparisons and leaves a function call after it alone", () => {
    const scope = scopeWith({ a: { output: { ok: false, n: 2 } } });
    expect(evaluateExpression("!steps.a.output.ok == `true`", scope)).toBe(true);
    expect(evaluateExpression("!steps.a.output.ok && steps.a.output.n", scope)).toBe(2);
    expect(
      evaluateExpression("input.items[?!done].id", scopeWith({}, { items: [{ id: 1, done: true }, { id: 2 }] })),
    ).toEqual([2]);
    // A function call after the path is not a path step: it applies to the negated path.
    expect(evaluateExpression("!steps.a.output.ok.to_string(@)", scope)).toBe("true");
    expect(evaluateExpression("(!steps.a.output.ok).to_string(@)", scope)).toBe("true");
    expect(evaluateExpression("!steps.a.output.[ok]", scope)).toEqual([null]); // `(!steps).a…`: a multi-select keeps the library's meaning
  });
});
