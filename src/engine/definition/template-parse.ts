/**
 * Finding `{{ expr }}` templates in strings and compiling their JMESPath expressions.
 *
 * The closing `}}` is found by a small scanner that skips JMESPath quoting ('raw', "quoted",
 * `literal`) and counts braces, so multi-select hashes (`{{ {a: {b: c}} }}`) and literals
 * containing braces work. A literal `{{` in text is written as a template: `{{ '{{' }}`.
 */
import { compile } from "@jmespath-community/jmespath";
import { bindNotToPaths, type ExpressionNode } from "./template-not";

export type { ExpressionNode };

export type TemplatePart = { type: "text"; text: string } | { type: "template"; expression: string };

export type SplitResult = { ok: true; parts: TemplatePart[] } | { ok: false; message: string };

/** Long enough for any real expression; bounds the parser's work on junk. */
export const MAX_EXPRESSION_LENGTH = 2_000;

export function hasTemplate(text: string): boolean {
  return text.includes("{{");
}

/** Splits a string into text and template parts; fails on an unterminated `{{`. */
export function splitTemplates(text: string): SplitResult {
  const parts: TemplatePart[] = [];
  let from = 0;
  while (from < text.length) {
    const open = text.indexOf("{{", from);
    if (open < 0) break;
    const close = findClose(text, open + 2);
    if (close < 0) {
      return {
        ok: false,
        message: `unterminated template starting at ${JSON.stringify(preview(text.slice(open)))}: no closing "}}"`,
      };
    }
    if (open > from) parts.push({ type: "text", text: text.slice(from, open) });
    parts.push({ type: "template", expression: text.slice(open + 2, close).trim() });
    from = close + 2;
  }
  if (from < text.length) parts.push({ type: "text", text: text.slice(from) });
  return { ok: true, parts };
}

/** The expression when the string is exactly one template (surrounding whitespace allowed). */
export function singleTemplate(parts: readonly TemplatePart[]): string | undefined {
  const templates = parts.filter((p) => p.type === "template");
  const onlySpace = parts.every((p) => p.type === "template" || p.text.trim() === "");
  return templates.length === 1 && onlySpace ? templates[0]?.expression : undefined;
}

function findClose(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"' || c === "`") {
      i = skipQuoted(text, i);
      if (i < 0) return -1;
    } else if (c === "{") {
      depth++;
    } else if (c === "}") {
      if (depth === 0 && text[i + 1] === "}") return i;
      if (depth > 0) depth--;
    }
  }
  return -1;
}

/** Index of the quote closing the one at `start`, honouring backslash escapes; -1 if none. */
function skipQuoted(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}

function preview(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

export type CompileResult = { ok: true; ast: ExpressionNode } | { ok: false; message: string };

/**
 * Distinct expressions are few (they come from definitions) and evaluated often, so compiled
 * trees are cached; the bound keeps junk input from growing the cache without limit.
 */
const CACHE_LIMIT = 1_000;
const cache = new Map<string, CompileResult>();

export function compileExpression(expression: string): CompileResult {
  const cached = cache.get(expression);
  if (cached) {
    // Re-insert so the Map's insertion order approximates least-recently-used.
    cache.delete(expression);
    cache.set(expression, cached);
    return cached;
  }
  const result = compileUncached(expression);
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(expression, result);
  return result;
}

function compileUncached(expression: string): CompileResult {
  if (expression === "") return { ok: false, message: "empty expression" };
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    return { ok: false, message: `expression longer than ${MAX_EXPRESSION_LENGTH} characters` };
  }
  try {
    // `!a.b` means `!(a.b)` here (see template-not.ts): the same tree is analysed and evaluated.
    return { ok: true, ast: bindNotToPaths(compile(expression)) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/** Test hook: how many compiled expressions are cached. */
export function compiledCacheSize(): number {
  return cache.size;
}
