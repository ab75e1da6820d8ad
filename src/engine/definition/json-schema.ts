/**
 * The definition format as a JSON Schema (draft 2020-12), generated from the zod schema the
 * registration itself parses with (schema.ts), so editors complete and check the same fields the
 * engine accepts. It describes the shape only: rules that span fields (one kind per step, the
 * dependency graph, template scopes, hosts, agent actions) are checked by `npm run workflows:check`
 * and at registration. Committed as workflows/schema.json (`npm run workflows:schema`) and served
 * at GET /api/workflows/schema.json.
 */
import { z } from "zod";
import { durationSchema } from "./duration";
import { definitionSchema } from "./schema";

/** Where the schema is published. */
export const DEFINITION_SCHEMA_PATH = "/api/workflows/schema.json";
/** The first line of every shipped workflow file: yaml-language-server reads it to find the schema. */
export const SCHEMA_MODELINE = "# yaml-language-server: $schema=./schema.json";

const DURATION_PATTERN = "^[0-9]{1,15}(ms|s|m|h|d)$";

/** The JSON Schema of a workflow definition as written (YAML or JSON). */
export function definitionJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(definitionSchema, {
    // The written form: transforms (durations to milliseconds, JSON copies) are read as their input.
    io: "input",
    target: "draft-2020-12",
    override: (ctx) => {
      // A duration is a string to zod (parseDuration gives the precise message); editors get the pattern.
      if (ctx.zodSchema === durationSchema || ctx.zodSchema === durationSchema.in) {
        ctx.jsonSchema.pattern = DURATION_PATTERN;
        ctx.jsonSchema.description = 'A whole number and one unit (ms, s, m, h, d), at most 30d, e.g. "30s".';
      }
    },
  });
  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: "Workflow definition",
    description:
      "A workflow of the agent orchestrator (docs/workflows.md). Shape only: `npm run workflows:check` also checks the graph, templates, hosts and agent actions.",
    ...rest,
  };
}

/** The committed text of workflows/schema.json. */
export function definitionJsonSchemaText(): string {
  return `${JSON.stringify(definitionJsonSchema(), null, 2)}\n`;
}
