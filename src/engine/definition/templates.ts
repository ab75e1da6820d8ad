/**
 * Templates: JMESPath expressions inside `{{ }}`, the only dynamic part of a definition.
 * Nothing here evaluates JavaScript: expressions are parsed and interpreted by the JMESPath
 * library over plain JSON data.
 */
import { TreeInterpreter, isRegistered } from "@jmespath-community/jmespath";
import { type DefinitionIssue, joinPath } from "./errors";
import { isPlainObject } from "./json";
import { type ExpressionAnalysis, analyzeExpression } from "./template-refs";
import { type TemplatePart, compileExpression, hasTemplate, singleTemplate, splitTemplates } from "./template-parse";

export { ALL_STEPS, type ExpressionAnalysis } from "./template-refs";

/** What templates can read at run time. */
export interface TemplateScope {
  input: unknown;
  trigger: unknown;
  steps: Record<string, { output: unknown }>;
  run: { id: string; workflow: string; version: number };
  /** The current element and its position, in a `for_each` step. */
  item?: unknown;
  index?: number;
  /** The event being tested, in a trigger `filter` or a `wait_for_event` `match`. */
  event?: unknown;
  /** The failure being handled, in an `error_handling` step. */
  error?: unknown;
}

export type TemplateIssue = DefinitionIssue;

export class TemplateError extends Error {
  readonly code = "template_error" as const;
  constructor(
    readonly expression: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TemplateError";
  }
}

/** Bounds the walk: a cyclic or absurdly deep value must fail cleanly, not blow the stack. */
const MAX_DEPTH = 256;
const SCOPE_KEYS = ["input", "trigger", "steps", "run", "item", "index", "event", "error"] as const;

/**
 * Renders every template in a JSON value. A string that is exactly one template becomes the
 * expression's typed result; templates inside longer text interpolate as text. Values without
 * templates come back as they are (the same objects), and object keys are never rendered.
 * @example renderTemplates({ ids: "{{ input.items[*].id }}" }, scope) // { ids: [1, 2] }
 * @throws TemplateError for an invalid expression or a failed evaluation.
 */
export function renderTemplates(value: unknown, scope: TemplateScope): unknown {
  try {
    return renderValue(value, toSearchRoot(scope), 0);
  } catch (error) {
    if (error instanceof TemplateError) throw error;
    throw new TemplateError("", `could not render templates: ${messageOf(error)}`, { cause: error });
  }
}

function toSearchRoot(scope: TemplateScope): Record<string, unknown> {
  const source = scope as unknown as Record<string, unknown>;
  return Object.fromEntries(SCOPE_KEYS.filter((key) => source[key] !== undefined).map((key) => [key, source[key]]));
}

function renderValue(value: unknown, root: Record<string, unknown>, depth: number): unknown {
  if (typeof value === "string") return hasTemplate(value) ? renderString(value, root) : value;
  if (depth > MAX_DEPTH) throw new TemplateError("", `value nested more than ${MAX_DEPTH} levels deep`);
  if (Array.isArray(value)) {
    const items = value.map((item) => renderValue(item, root, depth + 1));
    return items.some((item, i) => !Object.is(item, value[i])) ? items : value;
  }
  if (isPlainObject(value)) {
    const entries = Object.entries(value);
    const rendered = entries.map(([key, item]) => [key, renderValue(item, root, depth + 1)] as const);
    const changed = rendered.some(([, item], i) => !Object.is(item, entries[i]?.[1]));
    return changed ? Object.fromEntries(rendered) : value;
  }
  return value;
}

function renderString(text: string, root: Record<string, unknown>): unknown {
  const split = splitTemplates(text);
  if (!split.ok) throw new TemplateError(text, split.message);
  const single = singleTemplate(split.parts);
  if (single !== undefined) return evaluate(single, root);
  return split.parts
    .map((part) => (part.type === "text" ? part.text : toText(evaluate(part.expression, root))))
    .join("");
}

/** Evaluates one expression against the scope. */
export function evaluateExpression(expression: string, scope: TemplateScope): unknown {
  try {
    return evaluate(expression, toSearchRoot(scope));
  } catch (error) {
    if (error instanceof TemplateError) throw error;
    throw new TemplateError(expression, messageOf(error), { cause: error });
  }
}

function evaluate(expression: string, root: Record<string, unknown>): unknown {
  const compiled = compileExpression(expression);
  if (!compiled.ok) throw new TemplateError(expression, `invalid template "{{ ${expression} }}": ${compiled.message}`);
  try {
    // The library types its input as JSON; the scope is JSON by contract (outputs are jsonb).
    const result: unknown = TreeInterpreter.search(compiled.ast, root as never);
    return toJsonResult(result, 0);
  } catch (error) {
    if (error instanceof TemplateError) throw error;
    throw new TemplateError(expression, `template "{{ ${expression} }}" failed: ${messageOf(error)}`, { cause: error });
  }
}

/**
 * The interpreter looks fields up with `value[name]`, so `input.constructor` reaches inherited
 * JavaScript members. They are not data: results are reduced to JSON, anything else being null.
 * Clean values (the normal case) come back as the same objects, without copying.
 */
function toJsonResult(value: unknown, depth: number): unknown {
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean")
    return value;
  if (typeof value !== "object" || value === Object.prototype || value === Array.prototype) return null;
  if (depth > MAX_DEPTH) throw new TemplateError("", `result nested more than ${MAX_DEPTH} levels deep`);
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => toJsonResult(item, depth + 1));
    return items.some((item, i) => !Object.is(item, value[i])) ? items : value;
  }
  const entries = Object.entries(value);
  const cleaned = entries.map(([key, item]) => [key, toJsonResult(item, depth + 1)] as const);
  return cleaned.some(([, item], i) => !Object.is(item, entries[i]?.[1])) ? Object.fromEntries(cleaned) : value;
}

function toText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value) ?? "";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Calls `visit` for every string in a JSON value, with its path. */
function walkStrings(value: unknown, path: string, visit: (text: string, path: string) => void, depth = 0): void {
  if (typeof value === "string") return visit(value, path);
  if (depth > MAX_DEPTH) return;
  if (Array.isArray(value)) value.forEach((item, i) => walkStrings(item, joinPath(path, i), visit, depth + 1));
  else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) walkStrings(item, joinPath(path, key), visit, depth + 1);
  }
}

function templatesIn(text: string): TemplatePart[] {
  if (!hasTemplate(text)) return [];
  const split = splitTemplates(text);
  return split.ok ? split.parts.filter((p) => p.type === "template") : [];
}

/**
 * Every template syntax problem in a value (unterminated `{{`, JMESPath syntax errors, unknown
 * functions), each with the path of the string that holds it.
 * @example checkTemplates({ a: "{{ input. }}" }, "steps[0].input") // [{ path: "steps[0].input.a", message: "invalid template …" }]
 */
export function checkTemplates(value: unknown, path: string): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  walkStrings(value, path, (text, at) => {
    if (!hasTemplate(text)) return;
    const split = splitTemplates(text);
    if (!split.ok) {
      issues.push({ path: at, message: split.message });
      return;
    }
    for (const part of split.parts) {
      if (part.type !== "template") continue;
      const compiled = compileExpression(part.expression);
      if (!compiled.ok) {
        issues.push({ path: at, message: `invalid template "{{ ${part.expression} }}": ${compiled.message}` });
        continue;
      }
      for (const name of analyzeExpression(compiled.ast).functions) {
        if (!isRegistered(name))
          issues.push({ path: at, message: `unknown function ${name}() in "{{ ${part.expression} }}"` });
      }
    }
  });
  return issues;
}

/** What the valid templates of each string in a value read (invalid ones are checkTemplates' business). */
export function analyzeTemplateSites(value: unknown, path: string): { path: string; analysis: ExpressionAnalysis }[] {
  const sites: { path: string; analysis: ExpressionAnalysis }[] = [];
  walkStrings(value, path, (text, at) => {
    const templates = templatesIn(text);
    if (templates.length === 0) return;
    const analysis: ExpressionAnalysis = { steps: new Set(), roots: new Set(), functions: new Set() };
    for (const part of templates) {
      if (part.type !== "template") continue;
      const compiled = compileExpression(part.expression);
      if (compiled.ok) analyzeExpression(compiled.ast, analysis);
    }
    sites.push({ path: at, analysis });
  });
  return sites;
}

/**
 * The step names a value's templates read as `steps.<name>` (ALL_STEPS, `"*"`, when one reads
 * `steps` as a whole).
 * @example templateReferences({ a: "{{ steps.fetch.output.id }}" }) // Set { "fetch" }
 */
export function templateReferences(value: unknown): Set<string> {
  return new Set(analyzeTemplateSites(value, "").flatMap((site) => [...site.analysis.steps]));
}

/** True when the string is exactly one template: it renders to a typed value, not text. */
export function isSingleTemplate(text: string): boolean {
  const split = splitTemplates(text);
  return split.ok && singleTemplate(split.parts) !== undefined;
}
