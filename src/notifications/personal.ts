/**
 * Personal data in the outbox, shared by delivery (outbox.ts) and the operators' list
 * (outbox-list.ts): the encryption contexts of a personal message's fields and how a stored field
 * is read back. (Addresses in the text operators see are masked by src/privacy/mask.ts.)
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
