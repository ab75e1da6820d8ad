import { sql } from "drizzle-orm";
import {
  bigint,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

export const RUN_STATUSES = ["queued", "running", "waiting", "succeeded", "failed", "cancelled"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const STEP_STATUSES = [
  "pending",
  "queued",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "skipped",
  "cancelled",
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];
export const PRIORITIES = ["low", "normal", "high", "critical"] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Registered workflow definitions; a version is immutable once written. */
export const workflowDefinitions = pgTable(
  "workflow_definitions",
  {
    name: text("name").notNull(),
    version: integer("version").notNull(),
    /** The normalized definition (src/engine/definition). */
    definition: jsonb("definition").notNull(),
    /** `file:<path>` or `api`. */
    source: text("source").notNull(),
    hash: text("hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    createdBy: text("created_by"),
  },
  (t) => [primaryKey({ columns: [t.name, t.version] })],
);

export const runs = pgTable(
  "runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workflow: text("workflow").notNull(),
    version: integer("version").notNull(),
    status: text("status", { enum: RUN_STATUSES }).notNull(),
    /** 0 low, 1 normal, 2 high, 3 critical; copied onto every step for claim ordering. */
    priority: smallint("priority").notNull().default(1),
    input: jsonb("input"),
    output: jsonb("output"),
    error: jsonb("error"),
    /** What started the run: `{type: "manual"}`, `{type: "event", id, topic, data}`, `{type: "cron", at}`. */
    trigger: jsonb("trigger").notNull(),
    idempotencyKey: text("idempotency_key"),
    concurrencyKey: text("concurrency_key"),
    /** Steps (top-level and error handlers) not yet in a final state; the run ends when it reaches 0. */
    stepsRemaining: integer("steps_remaining").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("runs_idempotency_idx").on(t.workflow, t.idempotencyKey),
    // Run lists, newest first, optionally by status or workflow (keyset on created_at, id).
    // Ascending on purpose: scanned backwards they give `order by created_at desc, id desc`
    // (DESC NULLS FIRST); a `DESC` index is DESC NULLS LAST, which that order cannot use.
    index("runs_created_idx").on(t.createdAt, t.id),
    index("runs_status_created_idx").on(t.status, t.createdAt, t.id),
    index("runs_workflow_created_idx").on(t.workflow, t.createdAt, t.id),
    // The failed-runs alert: runs that failed recently (a small partial index).
    index("runs_failed_finished_idx").on(t.finishedAt).where(sql`${t.status} = 'failed'`),
    // Retention: finished runs, oldest first (src/operations/retention/targets.ts).
    index("runs_finished_idx").on(t.finishedAt).where(sql`${t.status} in ('succeeded', 'failed', 'cancelled')`),
    // Admission of runs waiting for a per-key concurrency slot.
    index("runs_concurrency_idx")
      .on(t.workflow, t.concurrencyKey, t.status)
      .where(sql`${t.concurrencyKey} is not null`),
  ],
);

/** Fencing tokens: every claimed attempt gets a new one; a completion must present it. */
export const stepFenceSeq = pgSequence("step_fence_seq", { startWith: 1, cache: 1 });

/**
 * One row per step of a run, plus one per item of a `for_each` step (`item_index` ≥ 0; the
 * parent row has -1). The queue is this table: a step is claimable when it is `queued` and
 * `ready_at` has passed. A `waiting` step's `ready_at` is its sleep's end or its wait's timeout
 * (NULL for a for_each parent waiting on its items); a `running` step whose lease expired is
 * put back in the queue by the sweep.
 */
export const steps = pgTable(
  "steps",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    runId: uuid("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    itemIndex: integer("item_index").notNull().default(-1),
    kind: text("kind").notNull(),
    status: text("status", { enum: STEP_STATUSES }).notNull(),
    priority: smallint("priority").notNull().default(1),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull(),
    timeoutMs: integer("timeout_ms").notNull(),
    /** Dependencies not yet final, and how the final ones ended (trigger rules read these). */
    depsRemaining: integer("deps_remaining").notNull().default(0),
    depsSucceeded: integer("deps_succeeded").notNull().default(0),
    depsFailed: integer("deps_failed").notNull().default(0),
    /** for_each parents: items not yet final. */
    itemsRemaining: integer("items_remaining"),
    /** for_each items: the item this row works on. */
    item: jsonb("item"),
    input: jsonb("input"),
    output: jsonb("output"),
    error: jsonb("error"),
    progress: jsonb("progress"),
    readyAt: timestamp("ready_at", { withTimezone: true }),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true }),
    fence: bigint("fence", { mode: "number" }),
    /** wait_for_event: the topic waited on, and since when (earlier events do not count). */
    waitTopic: text("wait_topic"),
    waitSince: timestamp("wait_since", { withTimezone: true }),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("steps_run_name_idx").on(t.runId, t.name, t.itemIndex),
    // The claim query: ready work by priority, then readiness. Partial, so it stays small.
    // NULLS FIRST matches the query's `order by priority desc` exactly.
    index("steps_ready_idx").on(t.priority.desc().nullsFirst(), t.readyAt).where(sql`${t.status} = 'queued'`),
    // Sleeps that end and waits that time out.
    index("steps_due_idx").on(t.readyAt).where(sql`${t.status} = 'waiting'`),
    // Lease expiry sweep.
    index("steps_lease_idx").on(t.leaseExpiresAt).where(sql`${t.status} = 'running'`),
    // Event delivery to waiting steps.
    index("steps_wait_topic_idx").on(t.waitTopic).where(sql`${t.status} = 'waiting' and ${t.waitTopic} is not null`),
  ],
);

/** History of every attempt: start, end, duration, outcome, error. */
export const stepAttempts = pgTable(
  "step_attempts",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    stepId: bigint("step_id", { mode: "number" })
      .notNull()
      .references(() => steps.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    fence: bigint("fence", { mode: "number" }).notNull(),
    /** `succeeded`, `failed`, `timed_out`, `lease_expired`, `discarded`. */
    outcome: text("outcome").notNull(),
    error: jsonb("error"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true }).notNull(),
    durationMs: integer("duration_ms").notNull(),
  },
  (t) => [index("step_attempts_step_idx").on(t.stepId, t.attempt)],
);

/** Append-only events. `dedupe_key` makes a publication idempotent. */
export const events = pgTable(
  "events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    topic: text("topic").notNull(),
    data: jsonb("data"),
    source: text("source").notNull(),
    dedupeKey: text("dedupe_key").unique(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("events_topic_id_idx").on(t.topic, t.id),
    // Retention: events by age (src/operations/retention/targets.ts).
    index("events_created_idx").on(t.createdAt),
  ],
);
