import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const BACKUP_STATUSES = ["running", "succeeded", "failed", "interrupted"] as const;
export const BACKUP_VERIFICATIONS = ["pending", "verified", "failed"] as const;

/** Where a backup was written, and whether its parts read back with their checksums there. */
export interface BackupDestinationRecord {
  name: string;
  kind: "local" | "s3" | "blob";
  /** A folder or a bucket and prefix; never a credential. */
  location: string;
  /** Set by retention when the copy was deleted from this destination. */
  prunedAt?: string | null;
}

/**
 * One backup taken by the `platform_backup` workflow (src/backups/): its id is the run's id, so a
 * backup and the run that took it are found from each other. The parts' list is `backup_parts`;
 * the manifest, written last, is on every destination.
 */
export const backups = pgTable(
  "backups",
  {
    id: uuid("id").primaryKey(),
    status: text("status", { enum: BACKUP_STATUSES }).notNull().default("running"),
    /** `cron`, `api` or `manual` (a run started by hand). */
    trigger: text("trigger").notNull(),
    requestedBy: text("requested_by"),
    /** The last migration applied when the backup started (the manifest's schema version). */
    schemaVersion: text("schema_version").notNull(),
    destinations: jsonb("destinations").$type<BackupDestinationRecord[]>().notNull(),
    tables: integer("tables").notNull().default(0),
    rows: bigint("rows", { mode: "number" }).notNull().default(0),
    /** Bytes written per destination (the encrypted parts and the manifest). */
    bytes: bigint("bytes", { mode: "number" }).notNull().default(0),
    parts: integer("parts").notNull().default(0),
    manifestSha256: text("manifest_sha256"),
    /** Read back from every destination, every part's SHA-256 checked: pending, verified, failed. */
    verification: text("verification", { enum: BACKUP_VERIFICATIONS }).notNull().default("pending"),
    verifiedAt: timestamp("verified_at", { withTimezone: true }),
    error: text("error"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    durationMs: integer("duration_ms"),
  },
  (t) => [index("backups_started_idx").on(t.startedAt, t.id), index("backups_status_idx").on(t.status, t.finishedAt)],
);

/** One encrypted part of a backup: a chunk of one table, written by one step of the workflow. */
export const backupParts = pgTable(
  "backup_parts",
  {
    backupId: uuid("backup_id")
      .notNull()
      .references(() => backups.id, { onDelete: "cascade" }),
    tableName: text("table_name").notNull(),
    part: integer("part").notNull(),
    file: text("file").notNull(),
    rows: integer("rows").notNull(),
    bytes: integer("bytes").notNull(),
    sha256: text("sha256").notNull(),
    writtenAt: timestamp("written_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.backupId, t.tableName, t.part] })],
);

export const DRILL_STATUSES = ["running", "succeeded", "failed"] as const;

/** A restore drill: the newest backup restored into a scratch database and checked. */
export const backupDrills = pgTable(
  "backup_drills",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    backupId: uuid("backup_id"),
    status: text("status", { enum: DRILL_STATUSES }).notNull().default("running"),
    tables: integer("tables").notNull().default(0),
    rows: bigint("rows", { mode: "number" }).notNull().default(0),
    error: text("error"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    durationMs: integer("duration_ms"),
  },
  (t) => [index("backup_drills_started_idx").on(t.startedAt, t.id)],
);
