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

const EMAIL = /([^\s@<>"',;:()]+)@([^\s@<>"',;:()]+\.[^\s@<>"',;:()]+)/g;

/** `jane.doe@example.com` → `j***@example.com`, wherever an address appears in the text. */
export function maskEmails(text: string): string {
  return text.replace(EMAIL, (_, local: string, domain: string) => `${local.slice(0, 1)}***@${domain}`);
}
