/**
 * The JSON Schema of the definition format: committed as workflows/schema.json (npm run
 * workflows:schema), referenced by the first line of every shipped workflow, served at
 * GET /api/workflows/schema.json.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { sortPages } from "next/dist/shared/lib/router/utils/sortable-routes";
import { describe, expect, it } from "vitest";
import { GET } from "@/app/api/workflows/schema.json/route";
import { definitionHash, parseDefinition } from "@/engine/definition";
import { SCHEMA_MODELINE, definitionJsonSchema } from "@/engine/definition/json-schema";

const WORKFLOWS = "workflows";
const shipped = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

describe("workflows/schema.json", () => {
  it("is what npm run workflows:schema generates from the zod schema (run it after changing schema.ts)", () => {
    const committed = JSON.parse(readFileSync(path.join(WORKFLOWS, "schema.json"), "utf8")) as unknown;
    expect(committed).toEqual(definitionJsonSchema());
  });

  it("describes the written format: strict objects, durations as text with their pattern, required fields", () => {
    const schema = definitionJsonSchema() as {
      $schema: string;
      required: string[];
      additionalProperties: boolean;
      properties: { steps: { items: { properties: Record<string, { pattern?: string }>; required: string[] } } };
    };
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.required).toEqual(["name", "steps"]);
    expect(schema.additionalProperties).toBe(false);
    const step = schema.properties.steps.items;
    expect(step.required).toEqual(["name"]);
    expect(Object.keys(step.properties)).toEqual(
      expect.arrayContaining(["agent", "http", "sleep", "wait_for_event", "emit", "depends_on", "for_each", "retry"]),
    );
    expect(new RegExp(step.properties.sleep!.pattern!).test("500ms")).toBe(true);
    expect(new RegExp(step.properties.timeout!.pattern!).test("5 minutes")).toBe(false);
  });

  it("is referenced by the first line of every shipped workflow", () => {
    expect(shipped.length).toBeGreaterThan(0);
    for (const file of shipped) {
      const first = readFileSync(path.join(WORKFLOWS, file), "utf8").split("\n", 1)[0];
      expect({ file, first }).toEqual({ file, first: SCHEMA_MODELINE });
    }
  });

  it("a schema line is a comment: the definition, and so its hash (what the sync compares), is unchanged", () => {
    for (const file of shipped) {
      const text = readFileSync(path.join(WORKFLOWS, file), "utf8");
      const without = text.split("\n").slice(1).join("\n");
      const def = parseDefinition(text, { format: "yaml" });
      expect(parseDefinition(without, { format: "yaml" })).toEqual(def);
      expect(definitionHash(parseDefinition(without, { format: "yaml" }))).toBe(definitionHash(def));
    }
  });

  it("is served at GET /api/workflows/schema.json without a key", async () => {
    const res = await GET(new Request("http://localhost/api/workflows/schema.json"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/schema+json");
    expect(await res.json()).toEqual(definitionJsonSchema());
  });

  it("is matched before /api/workflows/[name]: Next.js orders a static segment before a dynamic one", () => {
    const routes = [
      "/api/[...path]",
      "/api/workflows/[name]",
      "/api/workflows/schema.json",
      "/api/workflows/[name]/dry-run",
    ];
    expect(sortPages(routes).indexOf("/api/workflows/schema.json")).toBeLessThan(
      sortPages(routes).indexOf("/api/workflows/[name]"),
    );
  });
});
