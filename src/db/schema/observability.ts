import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

/**
 * Raw metric points (durations in ms, or any custom value), kept for METRICS_RAW_RETENTION
 * (24 h by default). `agent` and `workflow` are the labels the API filters on, as columns
 * ('' when absent) so the rollup can group by them; every label is also in `labels`.
 * `recorded_at` is when the row was written (the rollup's watermark reads it: a point buffered
 * for a second still gets rolled up), `at` when the measured thing happened.
 */
export const metricPoints = pgTable(
  "metric_points",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    name: text("name").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    value: doublePrecision("value").notNull(),
    error: boolean("error").notNull().default(false),
    agent: text("agent").notNull().default(""),
    workflow: text("workflow").notNull().default(""),
    labels: jsonb("labels").notNull().default({}),
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Series queries: one metric over a time range.
    index("metric_points_name_at_idx").on(t.name, t.at),
    // One agent's series (the dashboard's per-agent charts and the slow-agent rule).
    index("metric_points_name_agent_at_idx").on(t.name, t.agent, t.at),
    // The rollup's new points, and pruning.
    index("metric_points_recorded_idx").on(t.recordedAt),
  ],
);

/**
 * Per-minute rollups, kept for METRICS_ROLLUP_RETENTION (30 days by default). Percentiles of
 * one minute are exact (percentile_cont over that minute's raw points); coarser buckets older
 * than the raw retention combine them weighted by count (see src/observability/metrics).
 */
export const metricMinutes = pgTable(
  "metric_minutes",
  {
    name: text("name").notNull(),
    bucket: timestamp("bucket", { withTimezone: true }).notNull(),
    agent: text("agent").notNull().default(""),
    workflow: text("workflow").notNull().default(""),
    count: integer("count").notNull(),
    sum: doublePrecision("sum").notNull(),
    min: doublePrecision("min").notNull(),
    max: doublePrecision("max").notNull(),
    errors: integer("errors").notNull(),
    p50: doublePrecision("p50").notNull(),
    p95: doublePrecision("p95").notNull(),
    p99: doublePrecision("p99").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.name, t.bucket, t.agent, t.workflow] }),
    // Retention: old buckets are deleted by time, whatever their metric.
    index("metric_minutes_bucket_idx").on(t.bucket),
    // Series filtered by agent or by workflow (the dashboard's per-agent charts).
    index("metric_minutes_agent_idx").on(t.name, t.agent, t.bucket),
    index("metric_minutes_workflow_idx").on(t.name, t.workflow, t.bucket),
  ],
);

/** One row: points recorded up to `watermark` are rolled up. */
export const metricRollupState = pgTable("metric_rollup_state", {
  id: integer("id").primaryKey(),
  watermark: timestamp("watermark", { withTimezone: true }).notNull(),
});

export const ALERT_SEVERITIES = ["info", "warning", "critical"] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
export const ALERT_STATES = ["active", "acknowledged", "resolved"] as const;
export type AlertState = (typeof ALERT_STATES)[number];
export const ALERT_COMPARATORS = ["gt", "gte", "lt", "lte"] as const;
export type AlertComparator = (typeof ALERT_COMPARATORS)[number];
/** What a rule measures: an aggregate of a metric over its window, or a built-in condition. */
export const ALERT_SOURCES = ["metric", "condition"] as const;
export const ALERT_AGGREGATES = ["count", "avg", "min", "max", "p50", "p95", "p99", "error_rate"] as const;
export type AlertAggregate = (typeof ALERT_AGGREGATES)[number];
/**
 * agent_down: 1 per agent whose circuit is open or whose probe fails; queue_backlog: oldest ready step's age in s; failed_runs: runs failed in the window;
 * failed_shopify_deliveries: Shopify deliveries failed for good and not reprocessed (now, whatever the window);
 * cache_miss_rate: per cacheable agent action, the share of its result-cache lookups that missed in the window (0–1);
 * retention_behind: per pruned table, hours its oldest prunable row is past its retention (src/operations/retention);
 * agent_throttled: per throttled agent, its concurrency limit / its largest (src/agents/gateway/throttle.ts);
 * adaptive_timeout_at_ceiling: per adaptive action, its p99 × margin / its ceiling (src/operations/alerts/gateway-tuning.ts);
 * backup_stale, backup_drill_stale: hours since the last verified backup / successful restore drill (src/backups/list.ts).
 */
export const ALERT_CONDITIONS = [
  "agent_down",
  "queue_backlog",
  "failed_runs",
  "failed_shopify_deliveries",
  "cache_miss_rate",
  "retention_behind",
  "backup_stale",
  "backup_drill_stale",
  "agent_throttled",
  "adaptive_timeout_at_ceiling",
] as const;
export type AlertCondition = (typeof ALERT_CONDITIONS)[number];

export const alertRules = pgTable("alert_rules", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  description: text("description").notNull().default(""),
  source: text("source", { enum: ALERT_SOURCES }).notNull(),
  /** source = metric: the metric name, its aggregate, an optional `agent`/`workflow` filter, per-agent or per-workflow grouping. */
  metric: text("metric"),
  aggregate: text("aggregate", { enum: ALERT_AGGREGATES }),
  /** source = condition. */
  condition: text("condition", { enum: ALERT_CONDITIONS }),
  filter: jsonb("filter").notNull().default({}),
  groupBy: text("group_by"),
  comparator: text("comparator", { enum: ALERT_COMPARATORS }).notNull(),
  threshold: doublePrecision("threshold").notNull(),
  windowSeconds: integer("window_seconds").notNull(),
  /** A metric rule needs at least this many points in its window to judge (an error rate of 1 call says little). */
  minCount: integer("min_count").notNull().default(1),
  severity: text("severity", { enum: ALERT_SEVERITIES }).notNull(),
  cooldownSeconds: integer("cooldown_seconds").notNull(),
  /** Re-notify at `escalate_to` when still active (not acknowledged) this many minutes after firing; null: never. */
  escalateAfterMinutes: integer("escalate_after_minutes"),
  escalateTo: text("escalate_to", { enum: ALERT_SEVERITIES }),
  channels: text("channels").array().notNull().default(sql`'{}'::text[]`),
  enabled: boolean("enabled").notNull().default(true),
  /** The five default rules carry a key, so the migration that seeds them is idempotent. */
  builtin: text("builtin").unique(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * When each rule last fired for each subject (an agent, a workflow, or '' for the whole
 * platform). Firing is one conditional upsert on this row, so evaluators racing each other
 * fire once per cooldown.
 */
export const alertRuleState = pgTable(
  "alert_rule_state",
  {
    ruleId: uuid("rule_id")
      .notNull()
      .references(() => alertRules.id, { onDelete: "cascade" }),
    subject: text("subject").notNull(),
    lastFiredAt: timestamp("last_fired_at", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.subject] })],
);

export const alerts = pgTable(
  "alerts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    ruleId: uuid("rule_id")
      .notNull()
      .references(() => alertRules.id, { onDelete: "cascade" }),
    subject: text("subject").notNull().default(""),
    severity: text("severity", { enum: ALERT_SEVERITIES }).notNull(),
    state: text("state", { enum: ALERT_STATES }).notNull().default("active"),
    message: text("message").notNull(),
    value: doublePrecision("value"),
    firedAt: timestamp("fired_at", { withTimezone: true }).notNull().defaultNow(),
    /** The latest evaluation that still saw the condition. */
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    escalatedAt: timestamp("escalated_at", { withTimezone: true }),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true }),
    acknowledgedBy: text("acknowledged_by"),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    resolvedBy: text("resolved_by"),
  },
  (t) => [
    index("alerts_state_fired_idx").on(t.state, t.firedAt, t.id),
    index("alerts_rule_fired_idx").on(t.ruleId, t.firedAt, t.id),
    index("alerts_fired_idx").on(t.firedAt, t.id),
    // At most one open alert per rule and subject: a breach that lasts updates it.
    uniqueIndex("alerts_open_subject_idx").on(t.ruleId, t.subject).where(sql`${t.state} <> 'resolved'`),
  ],
);
