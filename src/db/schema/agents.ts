import { bigint, doublePrecision, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const CIRCUIT_STATES = ["closed", "open", "half_open"] as const;
export type CircuitState = (typeof CIRCUIT_STATES)[number];

/**
 * One circuit breaker per agent, shared by every serverless instance. `open` defers the agent's
 * steps until `open_until`; then one probe (the step that wins `probe_fence`) runs half-open.
 */
export const agentCircuits = pgTable("agent_circuits", {
  agent: text("agent").primaryKey(),
  state: text("state", { enum: CIRCUIT_STATES }).notNull().default("closed"),
  consecutiveFailures: integer("consecutive_failures").notNull().default(0),
  openedAt: timestamp("opened_at", { withTimezone: true }),
  openUntil: timestamp("open_until", { withTimezone: true }),
  /** Half-open: when the probe was let through (a probe that never answers is retried after the cool-down). */
  probeStartedAt: timestamp("probe_started_at", { withTimezone: true }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Every state change of a breaker, with why (alert rules read these). */
export const agentCircuitTransitions = pgTable(
  "agent_circuit_transitions",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    agent: text("agent").notNull(),
    fromState: text("from_state", { enum: CIRCUIT_STATES }).notNull(),
    toState: text("to_state", { enum: CIRCUIT_STATES }).notNull(),
    reason: text("reason").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("agent_circuit_transitions_agent_idx").on(t.agent, t.at.desc())],
);

/** Recent agent calls (outcome, latency): the breaker's error-rate window and the health view. Pruned by retention (src/operations/retention). */
export const agentCalls = pgTable(
  "agent_calls",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    agent: text("agent").notNull(),
    action: text("action").notNull(),
    /** `succeeded`, `accepted`, `failed` (counts against the breaker), `rejected` (a 4xx: the caller's fault, not the agent's). */
    outcome: text("outcome").notNull(),
    durationMs: integer("duration_ms").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("agent_calls_agent_at_idx").on(t.agent, t.at.desc()),
    // Retention: calls by age, whatever the agent (src/operations/retention/targets.ts).
    index("agent_calls_at_idx").on(t.at),
  ],
);

/** Token bucket per agent (rate limit), refilled lazily on each take. */
export const agentRateBuckets = pgTable("agent_rate_buckets", {
  agent: text("agent").primaryKey(),
  tokens: doublePrecision("tokens").notNull(),
  refilledAt: timestamp("refilled_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Signatures already accepted, kept for the signature window: a replayed request is refused. */
export const seenSignatures = pgTable(
  "seen_signatures",
  {
    mac: text("mac").primaryKey(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("seen_signatures_expires_idx").on(t.expiresAt)],
);
