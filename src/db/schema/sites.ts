import { index, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { projects } from "./projects";

/**
 * Every site address ever used, and its owner (src/sites/slugs.ts). A project's address is
 * allocated here once, before its site is built; a site published without a project gets a row
 * with no owner. Rows are never reused for another owner: publishing checks this row.
 */
export const siteSlugs = pgTable("site_slugs", {
  slug: text("slug").primaryKey(),
  /**
   * The project the address belongs to; null: a site published without a project (a manual
   * deploy, or a site older than owners whose project could not be told). Kept (set null) if
   * the project row is ever deleted, so the address is still never given to another project.
   */
  projectId: uuid("project_id")
    .unique("site_slugs_project_id_key")
    .references(() => projects.id, { onDelete: "set null" }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** A published static site, served at `/sites/<slug>/`. A new deployment replaces its files atomically. */
export const sites = pgTable("sites", {
  /** Always an address of `site_slugs`, which says who may publish here. */
  slug: text("slug")
    .primaryKey()
    .references(() => siteSlugs.slug),
  deploymentId: uuid("deployment_id").notNull(),
  fileCount: integer("file_count").notNull(),
  bytes: integer("bytes").notNull(),
  publishedAt: timestamp("published_at", { withTimezone: true }).notNull().defaultNow(),
});

/** The files of a site's current deployment. `etag` is a hash of the content. */
export const siteFiles = pgTable(
  "site_files",
  {
    slug: text("slug")
      .notNull()
      .references(() => sites.slug, { onDelete: "cascade" }),
    path: text("path").notNull(),
    contentType: text("content_type").notNull(),
    body: text("body").notNull(),
    etag: text("etag").notNull(),
    bytes: integer("bytes").notNull(),
  },
  (t) => [primaryKey({ columns: [t.slug, t.path] })],
);

export const OUTBOX_CHANNELS = ["email", "slack"] as const;
export const OUTBOX_STATUSES = ["pending", "sent", "failed", "kept"] as const;

/**
 * Outgoing messages (email, Slack). A message is written here first, in the caller's
 * transaction when there is one, then delivered with retries; without a configured channel
 * it stays `kept`, visible to operators, and nothing is lost.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    channel: text("channel", { enum: OUTBOX_CHANNELS }).notNull(),
    recipient: text("recipient").notNull(),
    subject: text("subject").notNull(),
    body: text("body").notNull(),
    /** Optional HTML (email) or blocks (Slack) as text. */
    rich: text("rich"),
    /** Dedupe: the same key is stored once (e.g. the step's idempotency key). */
    dedupeKey: text("dedupe_key").unique(),
    status: text("status", { enum: OUTBOX_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [index("outbox_status_idx").on(t.status, t.nextAttemptAt), index("outbox_created_idx").on(t.createdAt, t.id)],
);
