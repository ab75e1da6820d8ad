import { sql } from "drizzle-orm";
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

/**
 * API keys. Only the SHA-256 of the key is stored (`key_hash`); the key itself is shown once,
 * when it is created. Keys are 32 random bytes, so a plain hash (no salt, no KDF) is enough:
 * there is no dictionary to attack. `prefix` is the key's first characters, for display.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    keyHash: text("key_hash").notNull().unique(),
    prefix: text("prefix").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    createdBy: text("created_by"),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [check("api_keys_role_check", sql`${t.role} in ('viewer', 'operator', 'admin')`)],
);

/**
 * Every mutating API call, whatever its outcome. `actor` is `key:<id>` or `env:ADMIN_API_KEY`;
 * `outcome` is the HTTP status returned. Paged newest first by `id` (keyset pagination),
 * which the primary key serves; `at` is indexed for time-range reads.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    actor: text("actor").notNull(),
    keyId: uuid("key_id"),
    action: text("action").notNull(),
    target: text("target"),
    outcome: integer("outcome").notNull(),
    details: jsonb("details"),
  },
  (t) => [index("audit_log_at_idx").on(t.at)],
);
