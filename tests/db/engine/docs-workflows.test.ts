/**
 * docs/workflows.md, the reference of the definition format: every `yaml` example in it passes
 * the checks of `npm run workflows:check` and registers, and together the examples use every
 * field of the format (every property of its JSON Schema), so the reference cannot drift.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { checkDefinitionSource, validateForRegistration } from "@/engine/check-files";
import { definitionJsonSchema } from "@/engine/definition/json-schema";
import { registerDefinition } from "@/engine/registry";
import { ensureWired } from "@/runtime/wire";
import { describeDb } from "../../helpers/db";

const DOC = readFileSync("docs/workflows.md", "utf8");

/** The fenced ```yaml blocks, with the line each starts on. */
function yamlExamples(markdown: string): { line: number; source: string }[] {
  const examples: { line: number; source: string }[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== "```yaml") continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]?.trim() !== "```") end++;
    examples.push({ line: start + 1, source: lines.slice(start, end).join("\n") });
    i = end;
  }
  return examples;
}

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
};

/** `steps[].retry.max_attempts`-style paths of every property the schema names. */
function schemaFields(schema: JsonSchema, prefix = ""): string[] {
  const out: string[] = [];
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    out.push(path, ...schemaFields(sub, path));
  }
  if (schema.items) out.push(...schemaFields(schema.items, `${prefix}[]`));
  for (const branch of schema.anyOf ?? []) out.push(...schemaFields(branch, prefix));
  return out;
}

/** The same paths for the fields a parsed example uses (free-form JSON values not descended into). */
function usedFields(value: unknown, schema: JsonSchema, prefix = "", into = new Set<string>()): Set<string> {
  const branches = [schema, ...(schema.anyOf ?? [])];
  if (Array.isArray(value)) {
    const items = branches.find((b) => b.items)?.items;
    if (items) for (const item of value) usedFields(item, items, `${prefix}[]`, into);
    return into;
  }
  if (value === null || typeof value !== "object") return into;
  const properties = branches.find((b) => b.properties)?.properties ?? {};
  for (const [key, sub] of Object.entries(value)) {
    const schemaOf = properties[key];
    if (!schemaOf) continue;
    const path = prefix === "" ? key : `${prefix}.${key}`;
    into.add(path);
    usedFields(sub, schemaOf, path, into);
  }
  return into;
}

const examples = yamlExamples(DOC);
const SECRET = "HTTP_SECRET_DOCS_EXAMPLE_TOKEN";

beforeAll(async () => {
  await ensureWired();
  // The secret reference example: its variable must be set when it is registered.
  process.env[SECRET] = "docs-example-token";
});
afterAll(() => {
  delete process.env[SECRET];
});

describe("docs/workflows.md", () => {
  it("has examples, each a complete definition with its own name", () => {
    expect(examples.length).toBeGreaterThan(20);
    const names = examples.map((e) => (parse(e.source) as { name?: unknown }).name);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(examples)("the example at line $line passes npm run workflows:check", ({ source }) => {
    expect(checkDefinitionSource(source).issues).toEqual([]);
  });

  it("uses, across its examples, every field of the format", () => {
    const schema = definitionJsonSchema() as JsonSchema;
    const used = new Set<string>();
    for (const { source } of examples) usedFields(parse(source), schema, "", used);
    // A handler's fields are a step's (one example of each suffices), plus its own on_error and name.
    const shown = (field: string) =>
      used.has(field) ||
      (field.startsWith("error_handling[].") && used.has(field.replace("error_handling[]", "steps[]")));
    expect(schemaFields(schema).filter((field) => !shown(field))).toEqual([]);
    expect(used).toContain("error_handling[].on_error");
    expect(used).toContain("error_handling[].name");
    // The trigger's string form, and every value of every enumerated option.
    const text = examples.map((e) => e.source).join("\n");
    for (const written of [
      "trigger: manual",
      "trigger_rule: one_success",
      "trigger_rule: all_done",
      "backoff: fixed",
      "backoff: exponential",
      "method: GET",
      "method: POST",
    ]) {
      expect(text).toContain(written);
    }
  });
});

describeDb("every example of docs/workflows.md registers", (suite) => {
  it.each(examples)("the example at line $line registers", async ({ source }) => {
    const definition = validateForRegistration(source);
    const { registered, created } = await registerDefinition(suite.db(), { definition, source: "docs" });
    expect(created).toBe(true);
    expect(registered.definition).toEqual(definition);
  });
});
