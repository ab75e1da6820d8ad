import { bigint, boolean, doublePrecision, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Retention's progress: one row per pruned table (src/operations/retention), written after each
 * pass over it. `claimed_until` is the pass's claim on the table: one process prunes a table at
 * a time (others skip it), and a caught-up table is pruned at most once a minute by all of them.
 */
export const retentionProgress = pgTable("retention_progress", {
  tableName: text("table_name").primaryKey(),
  /** The retention applied by the last pass, in days (null: kept forever, nothing pruned). */
  retentionDays: doublePrecision("retention_days"),
  /** Rows older than this were prunable at the last pass. */
  cutoff: timestamp("cutoff", { withTimezone: true }),
  lastRunAt: timestamp("last_run_at", { withTimezone: true }),
  lastDurationMs: integer("last_duration_ms"),
  /** Rows of this table the last pass deleted, and of the tables hanging off it (`{steps, stepAttempts}` for runs). */
  lastDeleted: integer("last_deleted").notNull().default(0),
  lastDetail: jsonb("last_detail"),
  totalDeleted: bigint("total_deleted", { mode: "number" }).notNull().default(0),
  /** No prunable row was left when the last pass ended (false: it stopped on its batch or time bound). */
  caughtUp: boolean("caught_up").notNull().default(false),
  /** The oldest row the table still holds (of the rows its retention governs: finished runs, sent messages…). */
  oldestAt: timestamp("oldest_at", { withTimezone: true }),
  /** The oldest row past the cutoff still there (null: caught up). */
  oldestPrunableAt: timestamp("oldest_prunable_at", { withTimezone: true }),
  /** Why rows past the cutoff are kept, when something holds them (events: the oldest unfinished run). */
  note: text("note"),
  lastError: text("last_error"),
  claimedUntil: timestamp("claimed_until", { withTimezone: true }),
});
