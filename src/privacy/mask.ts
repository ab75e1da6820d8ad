/**
 * Masking for viewers: what a read-only key sees of data that may hold personal data it does not
 * need (run inputs, step inputs and outputs of any workflow, including runs stored before site
 * orders were encrypted, and user-defined workflows that carry an address in their input).
 *
 * Decision: mask every email address found in any string, whatever its key, rather than known
 * fields: a workflow's data has no fixed shape, and an address under an unexpected key is still
 * someone's. `jane@example.com` → `j***@example.com` (the form orders and the outbox use).
 */
import { maskEmails } from "@/notifications/personal";

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
