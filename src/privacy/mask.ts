/**
 * Masking email addresses, the one place for it: `j***@example.com` wherever an operator's
 * viewer, a log line or a stored error would otherwise show `jane@example.com`.
 *
 * - `maskEmail`: one value that should be an address (an order's or a site client's email).
 * - `maskEmails`: every address inside free text (notification subjects, bodies and errors).
 * - `maskPersonalData`: what a read-only key sees of data that may hold personal data it does
 *   not need (run inputs, step inputs and outputs of any workflow, including runs stored before
 *   site orders were encrypted, and user-defined workflows that carry an address in their input).
 *   Decision: it masks every address found in any string, whatever its key, rather than known
 *   fields: a workflow's data has no fixed shape, and an address under an unexpected key is
 *   still someone's.
 */

/**
 * `claire@boulangerie-lune.example` → `c***@boulangerie-lune.example`: what viewers see. The
 * domain stays (it tells an operator which business it is without naming the person); a value
 * that is not an address is fully masked.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at <= 0 || at === email.length - 1) return "***";
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}

/** What cannot be part of an address: whitespace, `@` and the punctuation around addresses in text. */
const NOT_IN_ADDRESS = /[\s@<>"',;:()]/;

/**
 * `jane.doe@example.com` → `j***@example.com`, wherever an address appears in the text: the run
 * of address characters before an `@`, and the run after it when that holds a dot with something
 * on both sides. One pass from each `@`: the regex this replaces
 * (`([^…]+)@([^…]+\.[^…]+)`) rescanned the rest of a long run of address characters from
 * each of its positions, so 40 KB without an `@` took seconds (tests/unit/agents/qa-hostile-input.test.ts).
 */
export function maskEmails(text: string): string {
  const allowed = (i: number) => !NOT_IN_ADDRESS.test(text[i] ?? "@");
  let out = "";
  let copied = 0;
  for (let at = text.indexOf("@"); at >= 0; at = text.indexOf("@", at + 1)) {
    let start = at;
    while (start > copied && allowed(start - 1)) start--;
    let end = at + 1;
    let dot = -1; // the first dot with an address character on both sides
    while (end < text.length && allowed(end)) {
      if (dot < 0 && end >= at + 2 && text[end] === ".") dot = end;
      end++;
    }
    if (start === at || dot < 0 || dot > end - 2) continue;
    out += `${text.slice(copied, start)}${text[start]}***@${text.slice(at + 1, end)}`;
    copied = end;
    at = end - 1;
  }
  return out + text.slice(copied);
}

/** A deep copy of a JSON-like value with every email address in its strings (values and keys) masked. */
export function maskPersonalData<T>(value: T): T {
  return mask(value) as T;
}

function mask(value: unknown): unknown {
  if (typeof value === "string") return maskEmails(value);
  if (Array.isArray(value)) return value.map(mask);
  if (
    value !== null &&
    typeof value === "object" &&
    (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)
  ) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [maskEmails(k), mask(v)]));
  }
  return value;
}
