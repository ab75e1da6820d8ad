/**
 * String helpers shared by the design-ia actions: cleaning what a client typed, folding it for
 * keyword matching, shortening copy without breaking words or characters, and filling the
 * language templates. Folding a name into words lives in src/util/slug.ts (site addresses use it too).
 */

const GRAPHEMES = new Intl.Segmenter("en", { granularity: "grapheme" });
const ELLIPSIS = "…";

/**
 * Shortens `text` to at most `max` UTF-16 units (what zod's `.max` counts). Cuts after the last
 * whole word when that keeps at least 60% of the room, otherwise between two graphemes (never
 * inside a surrogate pair or before a combining mark), and marks the cut with "…".
 */
export function fit(text: string, max: number): string {
  if (text.length <= max) return text;
  const budget = max - ELLIPSIS.length;
  let end = 0;
  for (const { index, segment } of GRAPHEMES.segment(text)) {
    if (index + segment.length > budget) break;
    end = index + segment.length;
  }
  const hard = text.slice(0, end);
  const lastSpace = hard.search(/\s\S*$/);
  const soft = lastSpace >= budget * 0.6 ? hard.slice(0, lastSpace) : hard;
  const head = soft.replace(/[\s\p{P}]+$/u, "") || hard.trimEnd();
  return head + ELLIPSIS;
}

/** Control characters and lone surrogates become spaces, runs of spaces one space; trimmed. */
function collapse(text: string): string {
  return text.replace(/[\p{Cc}\p{Cs}\s]+/gu, " ").trim();
}

/**
 * What a free-text field of the brief becomes: NFC, whitespace collapsed, at most `max` long.
 * Iterated to a fixed point (NFC can lengthen a string, and a cut can expose a space), so
 * `clean(clean(x)) === clean(x)`: normalising a normalised brief changes nothing.
 */
export function clean(text: string, max: number): string {
  let current = text;
  for (let round = 0; round < 8; round++) {
    const next = fit(collapse(current.normalize("NFC")), max);
    if (next === current) return next;
    current = next;
  }
  return current;
}

/** 32-bit FNV-1a: a stable seed for the variations of one brief. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function pick<T>(options: readonly [T, ...T[]], seed: number): T {
  return options[seed % options.length] ?? options[0];
}

export function capitalize(text: string): string {
  const first = text.codePointAt(0);
  if (first === undefined) return text;
  const head = String.fromCodePoint(first);
  return head.toLocaleUpperCase() + text.slice(head.length);
}

/** `text` without its closing punctuation, to be placed inside a sentence. */
export function bare(text: string): string {
  return text.replace(/[\s.!?;:,…。！？]+$/u, "") || text;
}

/** `text` as a sentence: closed by a full stop unless it already ends with punctuation. */
export function sentence(text: string): string {
  return /[.!?…。！？]$/u.test(text) ? text : `${text}.`;
}

/**
 * Replaces `{key}` with `vars[key]` in one pass (values are never scanned again, so a client's
 * text containing braces stays as typed). An unknown key is a template bug and throws.
 */
export function fill(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\{([A-Za-z]+)\}/g, (_, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new Error(`template placeholder {${key}} has no value`);
    return value;
  });
}
