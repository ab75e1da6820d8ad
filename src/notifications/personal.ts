/**
 * Personal data in the outbox, shared by delivery (outbox.ts) and the operators' list
 * (outbox-list.ts): the encryption contexts of a personal message's fields, how a stored field
 * is read back, and how email addresses are masked wherever operators see text.
 */
import { decryptField, isEncrypted } from "@/privacy/crypto";

/**
 * The encryption contexts of a personal message's fields (`enqueueMessage(…, { personal: true })`).
 * src/privacy/registry.ts registers the same ones for `npm run keys:rotate`.
 */
export const OUTBOX_CONTEXT = { recipient: "outbox.recipient", body: "outbox.body", rich: "outbox.rich" } as const;

/**
 * A stored field as plaintext: a token (personal message) is decrypted, anything else (a
 * message stored in clear) is returned as it is. Throws DecryptionError, whose message quotes
 * no value, when a token cannot be read (e.g. its key version left ENCRYPTION_KEYS).
 */
export function openField(value: string, context: string): string {
  return isEncrypted(value) ? decryptField(value, context) : value;
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
