/**
 * From text to a plain value: YAML (which also reads JSON) or strict JSON, with line and column
 * in every error. Parsing is bounded: a size limit, and yaml's alias limit so that a
 * "billion laughs" document of nested aliases fails fast instead of exhausting memory.
 */
import { type DocumentOptions, type ParseOptions, parseDocument } from "yaml";
import type { z } from "zod";
import { type DefinitionIssue, ROOT_PATH, formatPath } from "./errors";

export type SourceFormat = "yaml" | "json" | "auto";

/** Far above any real workflow; bounds parser time and memory on junk input. */
export const MAX_SOURCE_CHARS = 1_000_000;
const MAX_ALIAS_COUNT = 100;
/** logLevel "error": yaml would print process warnings (e.g. for collection keys) otherwise. */
const YAML_OPTIONS: ParseOptions & DocumentOptions = { prettyErrors: true, uniqueKeys: true, logLevel: "error" };

export type SourceResult = { ok: true; value: unknown } | { ok: false; issues: DefinitionIssue[] };

export function parseSource(source: string, format: SourceFormat = "auto"): SourceResult {
  if (source.length > MAX_SOURCE_CHARS) {
    return fail(`the definition is ${source.length} characters long; the limit is ${MAX_SOURCE_CHARS}`);
  }
  if (format === "json") return parseJson(source);
  if (format === "auto" && /^\s*[{[]/.test(source)) {
    // Looks like JSON: strict JSON gives better errors, but YAML flow style (`{a: 1}`) starts alike.
    const json = parseJson(source);
    if (json.ok) return json;
  }
  return parseYaml(source);
}

function parseJson(source: string): SourceResult {
  try {
    return { ok: true, value: JSON.parse(source) as unknown };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    const where = position?.[1] === undefined ? "" : ` (${lineAndColumn(source, Number(position[1]))})`;
    return fail(`invalid JSON: ${message}${where}`);
  }
}

function lineAndColumn(source: string, offset: number): string {
  const before = source.slice(0, offset).split("\n");
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

function parseYaml(source: string): SourceResult {
  const doc = parseDocument(source, YAML_OPTIONS);
  // Warnings too: an unresolved tag (`!!js/function`) must not quietly become a string.
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    return {
      ok: false,
      issues: problems.slice(0, 10).map((p) => ({ path: ROOT_PATH, message: `invalid YAML: ${firstLine(p.message)}` })),
    };
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown };
  } catch (error) {
    return fail(`invalid YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** yaml's pretty errors end with a code excerpt; the first line already has the position. */
function firstLine(message: string): string {
  return message.split("\n")[0]?.replace(/:$/, "") ?? message;
}

function fail(message: string): SourceResult {
  return { ok: false, issues: [{ path: ROOT_PATH, message }] };
}

type ZodIssue = z.core.$ZodIssue;

/** zod issues as definition issues: one per unknown key, the matching branch of a union. */
export function fromZodIssues(issues: readonly ZodIssue[], prefix: readonly PropertyKey[] = []): DefinitionIssue[] {
  return issues.flatMap((issue) => fromZodIssue(issue, [...prefix, ...issue.path]));
}

function fromZodIssue(issue: ZodIssue, path: PropertyKey[]): DefinitionIssue[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ path: formatPath([...path, key]), message: unknownFieldMessage(path, key) }));
  }
  if (issue.code === "invalid_union") {
    // The branch that got past the type check says what is actually wrong inside the value.
    const typed = issue.errors.find((branch) =>
      branch.some((i) => i.path.length > 0 || (i.code !== "invalid_type" && i.code !== "invalid_value")),
    );
    if (typed) return fromZodIssues(typed, path);
  }
  if (issue.code === "invalid_key") {
    return [{ path: formatPath(path), message: issue.issues[0]?.message ?? issue.message }];
  }
  const message =
    issue.code === "invalid_type" && issue.message.endsWith("received undefined") ? "is required" : issue.message;
  return [{ path: formatPath(path), message }];
}

function unknownFieldMessage(path: PropertyKey[], key: string): string {
  if (path.length === 2 && path[0] === "error_handling" && (key === "depends_on" || key === "for_each")) {
    return `unknown field: error handlers run when a step fails, so they cannot have ${key}`;
  }
  const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return snake === key ? "unknown field" : `unknown field (did you mean "${snake}"?)`;
}
