/**
 * Text helpers for ad copy: cleaning what a client typed, measuring text the way ad networks
 * count it, filling copy templates with whole values (never a cut word), and turning text
 * into search keywords.
 */

/** Characters an ad cannot carry (controls, format characters, surrogates, private use). */
const INVISIBLE = /\p{C}+/gu;

/** The text with invisible characters removed and runs of whitespace collapsed to one space. */
export function cleanText(text: string): string {
  return text.replace(INVISIBLE, " ").replace(/\s+/gu, " ").trim();
}

/**
 * Google Ads counts a double-width character (CJK, Hangul, full-width forms) as two. Astral
 * characters (emoji, rare scripts) count two as well, so the measure is never below
 * `string.length` and a text that fits here also fits any UTF-16-based limit.
 */
function isWide(codePoint: number): boolean {
  return (
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0xa4cf) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    codePoint > 0xffff
  );
}

/** Length of an ad text as the network counts it (see `isWide`). */
export function adTextLength(text: string): number {
  let length = 0;
  for (const char of text) length += isWide(char.codePointAt(0) ?? 0) ? 2 : 1;
  return length;
}

/**
 * The text with its first character in upper case, when that is one character for one
 * (so "ß" or "ŉ" stay as typed rather than grow into two letters).
 */
export function capitalize(text: string): string {
  const first = [...text][0];
  if (first === undefined) return text;
  const upper = first.toUpperCase();
  return [...upper].length === 1 ? upper + text.slice(first.length) : text;
}

const SMALL_WORDS = new Set(["a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"]);

/** English headline case: each word capitalized (see `capitalize`) except short joining words. */
export function titleCase(text: string): string {
  return text
    .split(" ")
    .map((word, i) => (i > 0 && SMALL_WORDS.has(word.toLowerCase()) ? word : capitalize(word)))
    .join(" ");
}

/** Company legal forms, dropped from the name in headlines and brand keywords. */
const LEGAL_FORM =
  /(?:,?\s+(?:ltd|limited|inc|llc|llp|plc|corp|gmbh|ag|kg|ug|e\.?\s?k|sarl|sas|sasu|sa|eurl|sci|s\.?\s?l|slu|s\.?\s?r\.?\s?l|srls|s\.?\s?p\.?\s?a|snc|bv|nv)\.?)+$/iu;

/** The business name without its legal form ("Acme Ltd" → "Acme"), unless nothing would be left. */
export function shortBusinessName(name: string): string {
  const short = name.replace(LEGAL_FORM, "").trim();
  return short === "" ? name : short;
}

export type Slots = Readonly<Record<string, string>>;

/**
 * Fills `{slot}` placeholders in one pass (a value containing braces is never re-read).
 * Returns null when a slot the template uses is empty or unknown, or when the result is
 * longer than `maxLength`: a template that does not fit is dropped, never cut.
 */
export function fillTemplate(template: string, slots: Slots, maxLength: number): string | null {
  let complete = true;
  const filled = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = slots[name];
    if (!value) complete = false;
    return value ?? "";
  });
  if (!complete) return null;
  const text = cleanText(filled);
  return text !== "" && adTextLength(text) <= maxLength ? text : null;
}

/** Google Ads keyword limits. */
export const KEYWORD_MAX_LENGTH = 80;
export const KEYWORD_MAX_WORDS = 10;

/**
 * The word without leading and trailing joining marks (- ' & .). A loop, not
 * `/^[-'&.]+|[-'&.]+$/g`: that regex rescanned a long inner run of marks from each of its
 * positions, quadratic on text a language model wrote (tests/unit/agents/qa-hostile-input.test.ts).
 */
function trimJoiningMarks(word: string): string {
  const mark = (c: string | undefined) => c === "-" || c === "'" || c === "&" || c === ".";
  let start = 0;
  let end = word.length;
  while (start < end && mark(word[start])) start++;
  while (end > start && mark(word[end - 1])) end--;
  return word.slice(start, end);
}

/**
 * A search keyword from free text: lower case, letters, digits and a few joining marks only,
 * at most KEYWORD_MAX_WORDS whole words and KEYWORD_MAX_LENGTH characters (longer text keeps
 * its leading words). Null when nothing usable is left.
 */
export function toKeyword(text: string): string | null {
  const words = text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}'&.-]+/gu, " ")
    .split(" ")
    .map(trimJoiningMarks)
    .filter((word) => word !== "");
  const kept: string[] = [];
  for (const word of words) {
    const next = [...kept, word].join(" ");
    if (kept.length === KEYWORD_MAX_WORDS || adTextLength(next) > KEYWORD_MAX_LENGTH) break;
    kept.push(word);
  }
  return kept.length > 0 ? kept.join(" ") : null;
}

/** Keeps the first of each value, comparing case-insensitively. */
export function uniqueCaseless(values: Iterable<string>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const value of values) {
    const key = value.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(value);
  }
  return out;
}
