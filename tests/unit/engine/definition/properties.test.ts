import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DefinitionError,
  TemplateError,
  type TemplateScope,
  definitionHash,
  parseDefinition,
  renderTemplates,
  toYaml,
} from "@/engine/definition";
import { compileExpression, compiledCacheSize } from "@/engine/definition/template-parse";
import { expressionText, validDefinition, yamlishText } from "./arbitraries";

const env = {};

function onlyDefinitionErrors(source: unknown): void {
  try {
    parseDefinition(source, { env });
  } catch (error) {
    expect(error).toBeInstanceOf(DefinitionError);
    expect((error as DefinitionError).issues.length).toBeGreaterThan(0);
  }
}

function onlyTemplateErrors(value: unknown, scope: unknown): void {
  try {
    renderTemplates(value, scope as TemplateScope);
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
  }
}

const junkOptions = {
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withDate: true,
  withTypedArray: true,
  withSparseArray: true,
  withNullPrototype: true,
  withBigInt: true,
  withObjectString: true,
};

describe("parseDefinition never throws anything but DefinitionError", () => {
  it("for arbitrary values", () => {
    fc.assert(fc.property(fc.anything(junkOptions), onlyDefinitionErrors), { numRuns: 500 });
  });

  it("for arbitrary and YAML-like strings", () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), yamlishText), onlyDefinitionErrors), {
      numRuns: 500,
    });
  });

  it("for valid definitions with one field replaced by junk", () => {
    const fields = ["name", "trigger", "steps", "output", "concurrency", "error_handling", "description"];
    const stepFields = [
      "name",
      "depends_on",
      "when",
      "retry",
      "timeout",
      "for_each",
      "sleep",
      "http",
      "emit",
      "input",
      "agent",
    ];
    fc.assert(
      fc.property(
        validDefinition,
        fc.constantFrom(...fields),
        fc.constantFrom(...stepFields),
        fc.anything(junkOptions),
        (raw, field, stepField, junk) => {
          onlyDefinitionErrors({ ...raw, [field]: junk });
          const steps = raw.steps as Record<string, unknown>[];
          onlyDefinitionErrors({ ...raw, steps: [{ ...steps[0], [stepField]: junk }, ...steps.slice(1)] });
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("valid definitions", () => {
  it("are accepted, round-trip through toYaml unchanged and keep their hash", () => {
    fc.assert(
      fc.property(validDefinition, (raw) => {
        const def = parseDefinition(raw, { env });
        const yaml = toYaml(def);
        const again = parseDefinition(yaml, { env });
        expect(again).toEqual(def);
        expect(definitionHash(again)).toBe(definitionHash(def));
        expect(parseDefinition(JSON.stringify(raw), { env })).toEqual(def);
      }),
      { numRuns: 300 },
    );
  });
});

const scope = fc.record({
  input: fc.anything(),
  trigger: fc.anything(),
  steps: fc.dictionary(fc.string(), fc.record({ output: fc.anything() })),
  run: fc.record({ id: fc.uuid(), workflow: fc.string(), version: fc.nat() }),
  item: fc.anything(),
  index: fc.nat(),
  event: fc.jsonValue(),
  error: fc.jsonValue(),
});

describe("renderTemplates", () => {
  it("never throws anything but TemplateError, for arbitrary expressions and scopes", () => {
    const expression = fc.oneof(fc.string({ maxLength: 60 }), expressionText);
    const value = fc.oneof(
      expression.map((e) => `{{ ${e} }}`),
      fc.tuple(fc.string(), expression, fc.string()).map(([a, e, b]) => `${a}{{${e}}}${b}`),
      fc.array(
        expression.map((e) => ({ v: `{{ ${e} }}` })),
        { maxLength: 3 },
      ),
    );
    fc.assert(fc.property(value, fc.oneof(scope, fc.anything(junkOptions)), onlyTemplateErrors), { numRuns: 1_000 });
  });

  it("returns values without {{ unchanged", () => {
    const noTemplate = fc.anything().filter((value) => !containsTemplateOpener(value));
    fc.assert(
      fc.property(noTemplate, scope, (value, s) => {
        const rendered = renderTemplates(value, s as TemplateScope);
        expect(rendered).toEqual(value);
        expect(rendered).toBe(value);
      }),
      { numRuns: 500 },
    );
  });
});

describe("compiled expressions", () => {
  it("are cached with a size bound", () => {
    for (let i = 0; i < 1_500; i++) expect(compileExpression(`input.f${i}`).ok).toBe(true);
    expect(compiledCacheSize()).toBeLessThanOrEqual(1_000);
  });
});

function containsTemplateOpener(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return value.includes("{{");
  if (depth > 50 || typeof value !== "object" || value === null) return false;
  return Object.values(value).some((item) => containsTemplateOpener(item, depth + 1));
}
