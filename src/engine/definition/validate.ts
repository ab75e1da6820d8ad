/**
 * parseDefinition: text or a parsed value in, a normalized WorkflowDefinition out, or a
 * DefinitionError listing every problem found. Stages run in order (syntax, shape, meaning);
 * a later stage runs only when the earlier ones passed, since its checks assume their result.
 */
import { checkSemantics } from "./checks";
import { DefinitionError, type DefinitionIssue, ROOT_PATH } from "./errors";
import { checkGraph } from "./graph";
import type { EnvSource } from "./hosts";
import { isPlainObject } from "./json";
import { normalizeDefinition } from "./normalize";
import { definitionSchema } from "./schema";
import { type SourceFormat, fromZodIssues, parseSource } from "./source";
import type { WorkflowDefinition } from "./types";

export interface ParseDefinitionOptions {
  /** How to read a string source; "auto" (default) reads JSON when it is JSON, else YAML. */
  format?: SourceFormat;
  /** When given, every agent step's (agent, action) must exist. */
  agentExists?: (agent: string, action: string) => boolean;
  /** Where HTTP_STEP_ALLOWED_HOSTS is read, at call time; defaults to process.env. */
  env?: EnvSource;
}

/**
 * Parses and validates a workflow definition (YAML/JSON text, or an already parsed value).
 * Throws DefinitionError and nothing else, whatever the input.
 * @example
 * const def = parseDefinition("name: hello\nsteps:\n  - name: nap\n    sleep: 500ms\n");
 * def.steps[0]; // { name: "nap", kind: "sleep", durationMs: 500, retry: {…}, timeoutMs: 30000, … }
 */
export function parseDefinition(source: unknown, options: ParseDefinitionOptions = {}): WorkflowDefinition {
  try {
    return parseOrThrow(source, options);
  } catch (error) {
    if (error instanceof DefinitionError) throw error;
    // A safety net: whatever slipped through (a stack overflow on absurd nesting, a throwing
    // agentExists) is still reported as an invalid definition, never as a crash.
    const message = error instanceof Error ? error.message : String(error);
    throw new DefinitionError([{ path: ROOT_PATH, message: `could not be validated: ${message}` }], { cause: error });
  }
}

function parseOrThrow(source: unknown, options: ParseDefinitionOptions): WorkflowDefinition {
  let value = source;
  if (typeof source === "string") {
    const parsed = parseSource(source, options.format);
    if (!parsed.ok) throw new DefinitionError(parsed.issues);
    value = parsed.value;
  }
  if (!isPlainObject(value))
    throw new DefinitionError([{ path: ROOT_PATH, message: `must be a mapping (an object), not ${kindOf(value)}` }]);
  const shaped = definitionSchema.safeParse(value);
  if (!shaped.success) throw new DefinitionError(fromZodIssues(shaped.error.issues));
  const issues: DefinitionIssue[] = [];
  const definition = normalizeDefinition(shaped.data, issues);
  throwIfAny(issues);
  const graph = checkGraph(definition, issues);
  checkSemantics(definition, graph, { agentExists: options.agentExists, env: options.env ?? process.env }, issues);
  throwIfAny(issues);
  return definition;
}

function throwIfAny(issues: DefinitionIssue[]): void {
  if (issues.length > 0) throw new DefinitionError(issues);
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return `an object of type ${(value as object).constructor?.name ?? "unknown"}`;
  return `a ${typeof value}`;
}
