/**
 * Every table column that holds encrypted personal data, for `npm run keys:rotate`.
 *
 * A table that stores `encryptField` tokens or `searchHash` values MUST be listed here, or a
 * rotation leaves its rows under the old key and removing that key makes them unreadable.
 * Add one spec per table, with the same contexts the table's code encrypts with, e.g.:
 *
 *     {
 *       table: "orders",
 *       idColumn: "id",
 *       columns: [
 *         { name: "customer_email", context: "orders.customer_email" },
 *         { name: "customer_phone", context: "orders.customer_phone" },
 *       ],
 *       hashColumns: [{ name: "customer_email_hash", source: "customer_email", kind: "email" }],
 *     }
 *
 * The contexts must match src/orders/orders.ts (CONTEXT), src/orders/deliveries.ts (PAYLOAD_CONTEXT),
 * src/notifications/personal.ts (OUTBOX_CONTEXT), src/events/subscriptions.ts (SECRET_CONTEXT) and
 * src/projects/personal.ts (PROJECT_BRIEF_CONTEXT).
 *
 * A column that holds tokens only for some rows (the outbox: personal messages are encrypted,
 * operator alerts are not) sets `plaintextAllowed`, so its plaintext rows are neither rotated
 * nor reported as failures.
 */
import type { EncryptedColumnSpec } from "./rotate";

export const ENCRYPTED_COLUMNS: readonly EncryptedColumnSpec[] = [
  {
    table: "orders",
    idColumn: "id",
    columns: [
      { name: "customer_name", context: "orders.customer_name" },
      { name: "customer_email", context: "orders.customer_email" },
      { name: "customer_phone", context: "orders.customer_phone" },
      { name: "shipping_address", context: "orders.shipping_address" },
    ],
    hashColumns: [{ name: "customer_email_hash", source: "customer_email", kind: "email" }],
  },
  {
    table: "shopify_deliveries",
    idColumn: "id",
    columns: [{ name: "payload", context: "shopify_deliveries.payload" }],
  },
  { table: "data_exports", idColumn: "id", columns: [{ name: "payload", context: "data_exports.payload" }] },
  {
    table: "outbox",
    idColumn: "id",
    columns: [
      { name: "recipient", context: "outbox.recipient", plaintextAllowed: true },
      { name: "body", context: "outbox.body", plaintextAllowed: true },
      { name: "rich", context: "outbox.rich", plaintextAllowed: true },
    ],
  },
  {
    table: "event_subscriptions",
    idColumn: "id",
    columns: [{ name: "secret", context: "event_subscriptions.secret" }],
  },
  {
    // A site order's form, as JSON (src/projects/personal.ts, PROJECT_BRIEF_CONTEXT); its hash is of the contact email in it.
    table: "projects",
    idColumn: "id",
    columns: [{ name: "brief_sealed", context: "projects.brief" }],
    hashColumns: [{ name: "contact_email_hash", source: "brief_sealed", kind: "email", extract: contactEmailOfForm }],
  },
];

/** The `contactEmail` of an order form's JSON, or null (not JSON, or no string there). */
export function contactEmailOfForm(json: string): string | null {
  try {
    const email = (JSON.parse(json) as { contactEmail?: unknown } | null)?.contactEmail;
    return typeof email === "string" ? email : null;
  } catch {
    return null;
  }
}
