/**
 * Alert rules: what they are (the zod schemas the API validates with), and their CRUD.
 *
 * A rule measures either an aggregate of a metric over its window (`source: "metric"`, e.g. the
 * p95 of `agent.call.duration` per agent) or a built-in condition (`source: "condition"`:
 * `agent_down`, `queue_backlog`, `failed_runs`), compares the value with its threshold, and
 * fires an alert per subject (an agent, a workflow, or "" for the whole platform).
 *
 * Rules are validated whole: an update is merged into the stored rule and the result must pass
 * the same checks as a new rule (a metric rule needs its metric and aggregate, a condition rule
 * its condition; escalation needs both its delay and its severity).
 *
 * Built-in rules (the five seeded by migration 0004 and failed_shopify_deliveries by 0012, marked by `builtin`) may be changed (their
 * threshold, window, channels…) and disabled, but they keep what they measure (source, metric,
 * aggregate, condition) and cannot be deleted: deleting a rule deletes its alert history (the
 * foreign key cascades), and the platform promises the five defaults exist. Disabling one
 * stops it and resolves its open alerts at the next evaluation, and keeps its history.
 * Custom rules can be deleted, with their history.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import {
  ALERT_AGGREGATES,
  ALERT_COMPARATORS,
  ALERT_CONDITIONS,
  ALERT_SEVERITIES,
  ALERT_SOURCES,
  alertRules,
  type AlertAggregate,
  type AlertComparator,
  type AlertCondition,
  type AlertSeverity,
} from "@/db/schema";
import { hasSqlState, SQLSTATE } from "@/db/errors";
import { ConflictError, NotFoundError } from "@/errors";

export const ALERT_CHANNELS = ["slack", "email"] as const;
export type AlertChannel = (typeof ALERT_CHANNELS)[number];
export const GROUP_BY = ["agent", "workflow"] as const;
export type GroupBy = (typeof GROUP_BY)[number];

/** Which grouping and filters each condition can apply (the others would be silently ignored, so they are refused). */
const CONDITION_SHAPE: Record<
  AlertCondition,
  { groupBy: readonly (GroupBy | null)[]; filters: readonly ("agent" | "workflow")[] }
> = {
  agent_down: { groupBy: ["agent"], filters: ["agent"] },
  queue_backlog: { groupBy: [null], filters: [] },
  failed_runs: { groupBy: [null, "workflow"], filters: ["workflow"] },
  failed_shopify_deliveries: { groupBy: [null], filters: [] },
  // One subject per throttled agent / per adaptive action ("agent/action"), whatever the grouping; filtered by agent.
  agent_throttled: { groupBy: [null], filters: ["agent"] },
  adaptive_timeout_at_ceiling: { groupBy: [null], filters: ["agent"] },
  // One subject per cacheable action ("agent/action"), whatever the grouping; filtered by agent.
  cache_miss_rate: { groupBy: [null], filters: ["agent"] },
  // One subject per table (its name), whatever the grouping.
  retention_behind: { groupBy: [null], filters: [] },
  // Hours since the last verified backup / successful restore drill (src/backups/list.ts).
  backup_stale: { groupBy: [null], filters: [] },
  backup_drill_stale: { groupBy: [null], filters: [] },
};

const labelValue = z.string().trim().min(1).max(200);

/** Every field of a rule, none defaulted (defaults are applied on create only, so an update changes only what it names). */
const ruleFields = {
  name: z.string().trim().min(1).max(120),
  description: z.string().trim().max(1000),
  source: z.enum(ALERT_SOURCES),
  metric: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9_.:-]+$/, "letters, digits and . _ : - only")
    .nullable(),
  aggregate: z.enum(ALERT_AGGREGATES).nullable(),
  condition: z.enum(ALERT_CONDITIONS).nullable(),
  filter: z.strictObject({ agent: labelValue.optional(), workflow: labelValue.optional() }),
  groupBy: z.enum(GROUP_BY).nullable(),
  comparator: z.enum(ALERT_COMPARATORS),
  threshold: z.number().finite(),
  windowSeconds: z.number().int().min(10).max(86_400),
  minCount: z.number().int().min(1).max(1_000_000),
  severity: z.enum(ALERT_SEVERITIES),
  cooldownSeconds: z.number().int().min(0).max(86_400),
  escalateAfterMinutes: z.number().int().min(1).max(10_080).nullable(),
  escalateTo: z.enum(ALERT_SEVERITIES).nullable(),
  channels: z
    .array(z.enum(ALERT_CHANNELS))
    .max(ALERT_CHANNELS.length)
    .refine((list) => new Set(list).size === list.length, "each channel at most once"),
  enabled: z.boolean(),
};

/** A complete rule, as stored (before the database adds id, builtin and times). */
export interface AlertRuleSpec {
  name: string;
  description: string;
  source: (typeof ALERT_SOURCES)[number];
  metric: string | null;
  aggregate: AlertAggregate | null;
  condition: AlertCondition | null;
  filter: { agent?: string; workflow?: string };
  groupBy: GroupBy | null;
  comparator: AlertComparator;
  threshold: number;
  windowSeconds: number;
  minCount: number;
  severity: AlertSeverity;
  cooldownSeconds: number;
  escalateAfterMinutes: number | null;
  escalateTo: AlertSeverity | null;
  channels: AlertChannel[];
  enabled: boolean;
}

/** The checks across fields, shared by create and update (which checks the merged rule). */
function checkRule(rule: AlertRuleSpec, ctx: z.RefinementCtx): void {
  const issue = (path: keyof AlertRuleSpec, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  if (rule.source === "metric") {
    if (!rule.metric) issue("metric", "a metric rule needs its metric");
    if (!rule.aggregate) issue("aggregate", "a metric rule needs its aggregate");
    if (rule.condition) issue("condition", "a metric rule has no condition");
  } else {
    if (!rule.condition) issue("condition", "a condition rule needs its condition");
    if (rule.metric) issue("metric", "a condition rule has no metric");
    if (rule.aggregate) issue("aggregate", "a condition rule has no aggregate");
    if (rule.condition) {
      const shape = CONDITION_SHAPE[rule.condition];
      if (!shape.groupBy.includes(rule.groupBy)) {
        issue("groupBy", `${rule.condition} groups by ${shape.groupBy.map((g) => g ?? "nothing (null)").join(" or ")}`);
      }
      for (const key of Object.keys(rule.filter) as ("agent" | "workflow")[]) {
        if (!shape.filters.includes(key)) issue("filter", `${rule.condition} cannot be filtered by ${key}`);
      }
    }
  }
  if ((rule.escalateAfterMinutes === null) !== (rule.escalateTo === null)) {
    issue("escalateTo", "escalation needs both escalateAfterMinutes and escalateTo (or neither)");
  }
}

/** The body of `POST /api/alerts/rules`. */
export const createRuleInput = z
  .strictObject({
    ...ruleFields,
    description: ruleFields.description.optional(),
    metric: ruleFields.metric.optional(),
    aggregate: ruleFields.aggregate.optional(),
    condition: ruleFields.condition.optional(),
    filter: ruleFields.filter.optional(),
    minCount: ruleFields.minCount.optional(),
    escalateAfterMinutes: ruleFields.escalateAfterMinutes.optional(),
    escalateTo: ruleFields.escalateTo.optional(),
    channels: ruleFields.channels.optional(),
    enabled: ruleFields.enabled.optional(),
    groupBy: ruleFields.groupBy.optional(),
  })
  .transform((input): AlertRuleSpec => {
    // agent_down is per agent by nature: its grouping may be left out.
    const groupBy = input.groupBy !== undefined ? input.groupBy : input.condition === "agent_down" ? "agent" : null;
    return {
      name: input.name,
      description: input.description ?? "",
      source: input.source,
      metric: input.metric ?? null,
      aggregate: input.aggregate ?? null,
      condition: input.condition ?? null,
      filter: input.filter ?? {},
      groupBy,
      comparator: input.comparator,
      threshold: input.threshold,
      windowSeconds: input.windowSeconds,
      minCount: input.minCount ?? 1,
      severity: input.severity,
      cooldownSeconds: input.cooldownSeconds,
      escalateAfterMinutes: input.escalateAfterMinutes ?? null,
      escalateTo: input.escalateTo ?? null,
      channels: input.channels ?? [...ALERT_CHANNELS],
      enabled: input.enabled ?? true,
    };
  })
  .superRefine(checkRule);
export type CreateRuleInput = z.input<typeof createRuleInput>;

/** The body of `PUT /api/alerts/rules/<id>`: any subset of the fields; at least one. */
export const updateRuleInput = z
  .strictObject(ruleFields)
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, "name at least one field to change");
export type UpdateRuleInput = z.input<typeof updateRuleInput>;

export interface AlertRuleView extends AlertRuleSpec {
  id: string;
  /** The key of a default rule (slow_agent, error_rate, agent_down, queue_backlog, failed_runs), null for a custom one. */
  builtin: string | null;
  createdAt: string;
  updatedAt: string;
  /** The rule's alerts, all time, by state. */
  counts: { total: number; active: number; acknowledged: number; resolved: number };
  lastFiredAt: string | null;
}

type RuleRow = typeof alertRules.$inferSelect;

/** One subquery per rule, served by alerts_rule_fired_idx; json keeps the counts numbers on every driver. */
const RULE_STATS = sql<unknown>`(select json_build_object(
    'total', count(*),
    'active', count(*) filter (where a.state = 'active'),
    'acknowledged', count(*) filter (where a.state = 'acknowledged'),
    'resolved', count(*) filter (where a.state = 'resolved'),
    'lastFiredAt', max(a.fired_at))
  from alerts a where a.rule_id = alert_rules.id)`;

interface RuleStats {
  total: number;
  active: number;
  acknowledged: number;
  resolved: number;
  lastFiredAt: string | null;
}

/** The stored rule as its spec (the row's loose column types narrowed). */
export function specOf(row: RuleRow): AlertRuleSpec {
  return {
    name: row.name,
    description: row.description,
    source: row.source,
    metric: row.metric,
    aggregate: row.aggregate,
    condition: row.condition,
    filter: (row.filter ?? {}) as AlertRuleSpec["filter"],
    groupBy: GROUP_BY.includes(row.groupBy as GroupBy) ? (row.groupBy as GroupBy) : null,
    comparator: row.comparator,
    threshold: row.threshold,
    windowSeconds: row.windowSeconds,
    minCount: row.minCount,
    severity: row.severity,
    cooldownSeconds: row.cooldownSeconds,
    escalateAfterMinutes: row.escalateAfterMinutes,
    escalateTo: row.escalateTo,
    channels: row.channels.filter((c): c is AlertChannel => (ALERT_CHANNELS as readonly string[]).includes(c)),
    enabled: row.enabled,
  };
}

function toView(row: RuleRow, stats: unknown): AlertRuleView {
  const s = (typeof stats === "string" ? JSON.parse(stats) : stats) as RuleStats | null;
  return {
    id: row.id,
    ...specOf(row),
    builtin: row.builtin,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    counts: {
      total: Number(s?.total ?? 0),
      active: Number(s?.active ?? 0),
      acknowledged: Number(s?.acknowledged ?? 0),
      resolved: Number(s?.resolved ?? 0),
    },
    lastFiredAt: s?.lastFiredAt ? new Date(s.lastFiredAt).toISOString() : null,
  };
}

export class AlertRuleNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`No alert rule has the id ${id}.`);
  }
}

function nameTaken(name: string): ConflictError {
  return new ConflictError(`An alert rule named "${name}" already exists.`, { name });
}

/** Every rule, built-in ones first, then by creation, with its alert counts. */
export async function listRules(db: Db): Promise<AlertRuleView[]> {
  const rows = await db
    .select({ rule: alertRules, stats: RULE_STATS })
    .from(alertRules)
    .orderBy(sql`${alertRules.builtin} is null`, asc(alertRules.createdAt), asc(alertRules.name));
  return rows.map((r) => toView(r.rule, r.stats));
}

export async function getRule(db: Db, id: string): Promise<AlertRuleView> {
  const [row] = await db.select({ rule: alertRules, stats: RULE_STATS }).from(alertRules).where(eq(alertRules.id, id));
  if (!row) throw new AlertRuleNotFoundError(id);
  return toView(row.rule, row.stats);
}

/** Creates a rule from a validated spec; a taken name is a ConflictError. */
export async function createRule(db: Db, spec: AlertRuleSpec): Promise<AlertRuleView> {
  const [row] = await db
    .insert(alertRules)
    .values(spec)
    .onConflictDoNothing({ target: alertRules.name })
    .returning({ id: alertRules.id });
  if (!row) throw nameTaken(spec.name);
  return getRule(db, row.id);
}

/** What a built-in rule measures: it may be tuned, not turned into another rule. */
const BUILTIN_FIXED = ["source", "metric", "aggregate", "condition"] as const;

/**
 * Applies a validated patch: the merged rule must be valid as a whole (400 otherwise), a taken
 * name is a ConflictError, and a built-in rule keeps what it measures (ConflictError).
 */
export async function updateRule(db: Db, id: string, patch: z.output<typeof updateRuleInput>): Promise<AlertRuleView> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(alertRules).where(eq(alertRules.id, id)).for("update");
    if (!current) throw new AlertRuleNotFoundError(id);
    const merged: AlertRuleSpec = { ...specOf(current), ...patch };
    if (current.builtin) {
      const changed = BUILTIN_FIXED.filter((k) => k in patch && patch[k] !== current[k]);
      if (changed.length > 0) {
        throw new ConflictError(
          `The built-in rule "${current.name}" keeps what it measures (${changed.join(", ")}); create a new rule instead.`,
          { fields: changed },
        );
      }
    }
    // Same checks as a new rule, on the result.
    z.custom<AlertRuleSpec>().superRefine(checkRule).parse(merged);
    try {
      await tx
        .update(alertRules)
        .set({ ...merged, updatedAt: sql`now()` })
        .where(eq(alertRules.id, id));
    } catch (error) {
      if (hasSqlState(error, SQLSTATE.uniqueViolation)) throw nameTaken(merged.name);
      throw error;
    }
    return getRule(tx, id);
  });
}

/** Deletes a custom rule and its alert history; a built-in rule cannot be deleted (disable it instead). */
export async function deleteRule(db: Db, id: string): Promise<AlertRuleView> {
  const rule = await getRule(db, id);
  if (rule.builtin) {
    throw new ConflictError(
      `"${rule.name}" is a built-in rule: disable it instead of deleting it (its alert history is kept).`,
      { builtin: rule.builtin },
    );
  }
  const deleted = await db
    .delete(alertRules)
    .where(and(eq(alertRules.id, id), sql`${alertRules.builtin} is null`))
    .returning({ id: alertRules.id });
  if (deleted.length === 0) throw new AlertRuleNotFoundError(id);
  return rule;
}
