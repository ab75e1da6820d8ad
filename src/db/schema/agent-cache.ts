import { index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * The gateway's result cache (src/agents/gateway/cache.ts): the answers of actions that declare
 * themselves cacheable (`cache: { ttlMs, version }` in their spec), one row per agent, action,
 * action version and canonical input. `key` is the SHA-256 of those four (the input only by its
 * own SHA-256: the input itself is never stored). An entry past `expires_at` is never served and
 * is deleted by the housekeeping chore.
 */
export const agentCacheEntries = pgTable(
  "agent_cache_entries",
  {
    /** 64 hex digits: SHA-256 of agent, action, version and the input's SHA-256. */
    key: text("key").primaryKey(),
    agent: text("agent").notNull(),
    action: text("action").notNull(),
    version: integer("version").notNull(),
    /** SHA-256 of the canonical input (JSON with sorted object keys). */
    inputHash: text("input_hash").notNull(),
    output: jsonb("output"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    // Invalidation by action and the per-action entry counts of the dashboard.
    index("agent_cache_entries_action_idx").on(t.agent, t.action),
    // Retention prunes expired entries by it (src/operations/retention/targets.ts).
    index("agent_cache_entries_expires_idx").on(t.expiresAt),
  ],
);
