import { bigint, doublePrecision, index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * The timeout each adaptive agent action learned from its recent calls (src/agents/gateway/adaptive-timeout.ts):
 * p99 of the window × the action's margin, bounded by its floor and ceiling. Recomputed by a chore;
 * every instance reads the same row, so all of them use the same timeout.
 */
export const agentActionTimeouts = pgTable(
  "agent_action_timeouts",
  {
    agent: text("agent").notNull(),
    action: text("action").notNull(),
    /** What new attempts get (bounded by floorMs and ceilingMs). */
    timeoutMs: integer("timeout_ms").notNull(),
    /** The observed p99 it came from, and how many calls that was. */
    p99Ms: doublePrecision("p99_ms").notNull(),
    samples: integer("samples").notNull(),
    /** The action's declaration when it was computed (the dashboard shows them beside the learned value). */
    staticMs: integer("static_ms").notNull(),
    floorMs: integer("floor_ms").notNull(),
    ceilingMs: integer("ceiling_ms").notNull(),
    computedAt: timestamp("computed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.agent, t.action] })],
);

/**
 * The concurrency limit of each throttled agent (AIMD, src/agents/gateway/throttle.ts): lowered by
 * half when its latency leaves its normal band or its error rate rises, raised by one while normal.
 */
export const agentThrottles = pgTable("agent_throttles", {
  agent: text("agent").primaryKey(),
  concurrency: integer("concurrency").notNull(),
  maxConcurrency: integer("max_concurrency").notNull(),
  /** The last decrease: the next waits a window, so one slow spell halves the limit once, not at every adjustment. */
  decreasedAt: timestamp("decreased_at", { withTimezone: true }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Every change of a throttle's limit, with why. */
export const agentThrottleChanges = pgTable(
  "agent_throttle_changes",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    agent: text("agent").notNull(),
    fromLimit: integer("from_limit").notNull(),
    toLimit: integer("to_limit").notNull(),
    reason: text("reason").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("agent_throttle_changes_agent_idx").on(t.agent, t.at.desc())],
);

/**
 * The in-flight leases of throttled agents: one row per slot (0 … max − 1). A call holds a slot
 * below the current limit while it runs; a slot whose lease expired (its process died) is free.
 */
export const agentCallSlots = pgTable(
  "agent_call_slots",
  {
    agent: text("agent").notNull(),
    slot: integer("slot").notNull(),
    holder: text("holder"),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.agent, t.slot] })],
);
