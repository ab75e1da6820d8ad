/**
 * Evaluating the alert rules: run by the cron (`GET /api/alerts/evaluate`) and by the local
 * worker loop, possibly by several at the same moment.
 *
 * For each enabled rule, one value per subject (an agent, a workflow, or "" for the platform):
 * - metric rules: the rule's aggregate of its metric over its window (`windowAggregate`,
 *   exact percentiles), grouped by agent or workflow; a subject with fewer than `minCount`
 *   points in the window is not judged (one failed call is not a 100 % error rate);
 * - `agent_down`: 1 for each agent whose health is "down" (circuit open or probe failing), else 0;
 * - `queue_backlog`: the age of the oldest ready step, in seconds (0 with none);
 * - `failed_runs`: runs that ended `failed` within the window (per workflow when grouped);
 * - `cache_miss_rate`: per action declared cacheable, the share of its result-cache lookups that
 *   missed in the window (src/agents/gateway/cache.ts), judged from `minCount` lookups;
 * - `agent_throttled`, `adaptive_timeout_at_ceiling`: the gateway's tuning (./gateway-tuning.ts);
 * - `failed_shopify_deliveries`: Shopify deliveries failed for good and not reprocessed, now
 *   (src/orders/delivery-operations.ts countFailedDeliveries). Not windowed, by decision: such a delivery
 *   waits for an operator however long ago it failed, so the alert stays open until none is left;
 * - `backup_stale`, `backup_drill_stale`: hours since the last verified backup / successful restore
 *   drill (src/backups/list.ts; with none yet, since the first attempt or the last migration);
 * - `retention_behind`: per pruned table (the subject), the hours its oldest prunable row is past
 *   its retention, measured live (src/operations/retention/status.ts); 0 when caught up.
 * A subject is breached when `value <comparator> threshold`.
 *
 * Design decisions:
 * - One open alert per rule and subject (the partial unique index `alerts_open_subject_idx`).
 *   A breach that lasts does not fire again: each evaluation that still sees it refreshes the
 *   open alert's `last_seen_at` and `value` (its `message` keeps the words it fired with).
 *   Acknowledging an alert keeps it open, so it is still refreshed, and still auto-resolves.
 * - Auto-resolve: an open alert whose subject is no longer breached at an evaluation is
 *   resolved (`resolved_by = "auto"`). "No longer breached" includes "no longer judged": a
 *   metric subject without points (or under minCount) in the window, an agent no longer listed.
 *   A rule that fails to evaluate (its query throws) resolves nothing. Disabling a rule
 *   resolves its open alerts at the next evaluation (it can no longer resolve them itself).
 * - Cooldown: a rule fires at most once per `cooldownSeconds` per subject, counted from its
 *   last firing (`alert_rule_state.last_fired_at`), whatever happened in between. So a
 *   condition that flaps (resolves, comes back) within the cooldown does not notify again; it
 *   fires at the first evaluation after the cooldown that still sees it. An alert resolved by
 *   hand while its condition persists fires again once the cooldown has passed.
 * - Once, however many evaluators run: firing is one conditional upsert of the rule's state
 *   (`… on conflict do update … where last_fired_at <= now - cooldown returning`), whose row
 *   lock makes concurrent evaluators wait and then see the new time; the alert insert (with
 *   its partial unique index as a second guard) and its outbox messages are in the same
 *   transaction, so an evaluator that dies mid-way fires nothing, and one that commits has
 *   stored its notifications. They are delivered right after the commit; a failed delivery
 *   stays in the outbox for the housekeeping sweep.
 * - Escalation: an alert still `active` (not acknowledged) `escalateAfterMinutes` after it
 *   fired is raised to `escalateTo` and notified again, once: one conditional UPDATE … RETURNING
 *   (`escalated_at is null`), so two evaluators escalate it once.
 * - Time: every comparison reads one reference time, the transaction's `now()` (the database
 *   is the one clock every instance shares), or `options.now` when given (tests, replays).
 */
import { sql, type SQL } from "drizzle-orm";
import { cacheStats } from "@/agents/gateway/cache";
import { measureThrottled, measureTimeoutsAtCeiling } from "./gateway-tuning";
import { agentsHealth, type AgentHealth } from "@/agents/health";
import { backupAges } from "@/backups/list";
import { queryRows, type Db } from "@/db/client";
import { alertRules, type AlertAggregate, type AlertSeverity } from "@/db/schema";
import { orchestrationStats } from "@/engine/stats";
import { toDate, toNumber } from "@/db/rows";
import { log } from "@/observability/log";
import { countFailedDeliveries } from "@/orders/delivery-operations";
import { retentionLag } from "@/operations/retention/status";
import { windowAggregate, type WindowAggregate } from "@/observability/metrics/query";
import type { EnqueuedMessage } from "@/notifications/outbox";
import { alertMessage, type Observation } from "./format";
import { deliverNow, enqueueAlertNotices } from "./notify";
import { specOf, type AlertRuleSpec } from "./rules";

export interface FiredAlert {
  alertId: string;
  ruleId: string;
  subject: string;
}

export interface EvaluationResult {
  /** Enabled rules evaluated (including those whose evaluation failed). */
  evaluated: number;
  /** Alerts this evaluation fired (a concurrent evaluator's firings are not listed). */
  fired: FiredAlert[];
  escalated: number;
  resolved: number;
  /** Rules whose evaluation failed (logged; the other rules were evaluated). */
  errors: { ruleId: string; message: string }[];
}

export interface EvaluateOptions {
  /** The reference time (default: the database's now()). */
  now?: Date;
}

interface Rule extends AlertRuleSpec {
  id: string;
}

/** Values shared by the rules of one evaluation (every agent_down rule reads the same probes). */
interface Shared {
  health?: Promise<AgentHealth[]>;
}

const AGGREGATE_FIELD: Record<AlertAggregate, keyof Omit<WindowAggregate, "group">> = {
  count: "count",
  avg: "avg",
  min: "min",
  max: "max",
  p50: "p50",
  p95: "p95",
  p99: "p99",
  error_rate: "errorRate",
};

export function breaches(rule: Pick<AlertRuleSpec, "comparator" | "threshold">, value: number): boolean {
  switch (rule.comparator) {
    case "gt":
      return value > rule.threshold;
    case "gte":
      return value >= rule.threshold;
    case "lt":
      return value < rule.threshold;
    case "lte":
      return value <= rule.threshold;
  }
}

async function measureMetric(db: Db, rule: Rule, now: Date | undefined): Promise<Observation[]> {
  if (!rule.metric || !rule.aggregate) return [];
  const field = AGGREGATE_FIELD[rule.aggregate];
  const groups = await windowAggregate(db, {
    name: rule.metric,
    windowMs: rule.windowSeconds * 1000,
    agent: rule.filter.agent,
    workflow: rule.filter.workflow,
    groupBy: rule.groupBy,
    now,
  });
  const out: Observation[] = [];
  for (const g of groups) {
    const value = g[field];
    if (g.count < rule.minCount || value === null || value === undefined || !Number.isFinite(value)) continue;
    out.push({ subject: rule.groupBy ? g.group : "", value, count: g.count });
  }
  return out;
}

async function measureFailedRuns(db: Db, rule: Rule, at: SQL): Promise<Observation[]> {
  const workflow = rule.filter.workflow ?? null;
  const grouped = rule.groupBy === "workflow";
  // Served by runs_failed_finished_idx (finished_at where status = 'failed').
  const rows = await queryRows<{ subject: string; n: unknown }>(
    db,
    sql`select ${grouped ? sql`workflow` : sql`''`} as subject, count(*)::int as n from runs
        where status = 'failed' and finished_at > ${at} - ${rule.windowSeconds} * interval '1 second' and finished_at <= ${at}
          and (${workflow}::text is null or workflow = ${workflow})
        group by 1`,
  );
  const out = rows.map((r) => ({ subject: r.subject, value: toNumber(r.n) }));
  // Ungrouped, "none failed" is a value (0), so a rule such as "fewer than N" can be judged too.
  return grouped || out.length > 0 ? out : [{ subject: "", value: 0 }];
}

/** Per action declared cacheable now, with at least `minCount` lookups in the window: misses / lookups. */
async function measureCacheMissRate(db: Db, rule: Rule, now: Date | undefined): Promise<Observation[]> {
  const stats = await cacheStats(db, { windowMs: rule.windowSeconds * 1000, now, agent: rule.filter.agent });
  return stats
    .filter((s) => s.cacheable && s.missRate !== null && s.lookups >= rule.minCount)
    .map((s) => ({
      subject: `${s.agent}/${s.action}`,
      value: s.missRate!,
      count: s.lookups,
      detail: `${s.misses} of ${s.lookups} lookups`,
    }));
}

async function measure(db: Db, rule: Rule, at: SQL, now: Date | undefined, shared: Shared): Promise<Observation[]> {
  if (rule.source === "metric") return measureMetric(db, rule, now);
  switch (rule.condition) {
    case "agent_down": {
      const health = await (shared.health ??= agentsHealth(db));
      return health
        .filter((a) => !rule.filter.agent || a.name === rule.filter.agent)
        .map((a) => ({
          subject: a.name,
          value: a.status === "down" ? 1 : 0,
          detail: `circuit ${a.circuit}, health probe ${a.probe.ok ? "ok" : `failing${a.probe.error ? `: ${a.probe.error}` : ""}`}`,
        }));
    }
    case "queue_backlog": {
      const stats = await orchestrationStats(db);
      return [{ subject: "", value: Math.round((stats.queue.oldestReadyAgeMs ?? 0) / 100) / 10 }];
    }
    case "failed_runs":
      return measureFailedRuns(db, rule, at);
    case "failed_shopify_deliveries":
      return [{ subject: "", value: await countFailedDeliveries(db) }];
    case "backup_stale":
    case "backup_drill_stale": {
      const ages = await backupAges(db, now);
      const age = rule.condition === "backup_stale" ? ages.backup : ages.drill;
      return [{ subject: "", value: age.hours, detail: age.detail }];
    }
    case "retention_behind":
      return (await retentionLag(db, now)).map((lag) => ({
        subject: lag.table,
        value: lag.hours,
        detail: lag.detail ?? undefined,
      }));
    case "agent_throttled":
      return measureThrottled(db, rule.filter.agent);
    case "adaptive_timeout_at_ceiling":
      return measureTimeoutsAtCeiling(db, rule);
    case "cache_miss_rate":
      return measureCacheMissRate(db, rule, now);
    default:
      return [];
  }
}

/** A lasting breach: refreshes the open alert, if there is one. */
async function touchOpenAlert(db: Db, rule: Rule, obs: Observation, at: SQL): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`update alerts set last_seen_at = ${at}, value = ${obs.value}
        where rule_id = ${rule.id} and subject = ${obs.subject} and state <> 'resolved' returning id`,
  );
  return rows.length > 0;
}

/** Fires once per cooldown: claims the rule's state, inserts the alert and stores its notifications, in one transaction. */
async function fire(
  db: Db,
  rule: Rule,
  obs: Observation,
  at: SQL,
): Promise<{ alert: FiredAlert; messages: EnqueuedMessage[] } | null> {
  return db.transaction(async (tx) => {
    const claimed = await queryRows<{ rule_id: string }>(
      tx,
      sql`insert into alert_rule_state (rule_id, subject, last_fired_at) values (${rule.id}, ${obs.subject}, ${at})
          on conflict (rule_id, subject) do update set last_fired_at = excluded.last_fired_at
          where alert_rule_state.last_fired_at <= excluded.last_fired_at - ${rule.cooldownSeconds} * interval '1 second'
          returning rule_id`,
    );
    if (claimed.length === 0) return null; // within the cooldown (or another evaluator just fired)
    const message = alertMessage(rule, obs);
    const [row] = await queryRows<{ id: string; fired_at: unknown }>(
      tx,
      sql`insert into alerts (rule_id, subject, severity, state, message, value, fired_at, last_seen_at)
          values (${rule.id}, ${obs.subject}, ${rule.severity}, 'active', ${message}, ${obs.value}, ${at}, ${at})
          on conflict (rule_id, subject) where state <> 'resolved' do nothing
          returning id, fired_at`,
    );
    if (!row) return null; // an open alert appeared meanwhile: it carries the breach
    const messages = await enqueueAlertNotices(tx, {
      kind: "fired",
      alertId: row.id,
      rule,
      subject: obs.subject,
      severity: rule.severity,
      message,
      value: obs.value,
      firedAt: toDate(row.fired_at) ?? new Date(),
    });
    return { alert: { alertId: row.id, ruleId: rule.id, subject: obs.subject }, messages };
  });
}

/** Resolves the rule's open alerts whose subject is not breached any more. */
async function resolveRecovered(db: Db, rule: Rule, breached: string[], at: SQL): Promise<number> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`update alerts set state = 'resolved', resolved_at = ${at}, resolved_by = 'auto'
        where rule_id = ${rule.id} and state <> 'resolved' and subject <> all(${sql.param(breached)}::text[])
        returning id`,
  );
  return rows.length;
}

/** A disabled rule cannot resolve its alerts any more: they are resolved when it is disabled. */
async function resolveDisabled(db: Db, at: SQL): Promise<number> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`update alerts a set state = 'resolved', resolved_at = ${at}, resolved_by = 'auto'
        from alert_rules r where r.id = a.rule_id and not r.enabled and a.state <> 'resolved'
        returning a.id`,
  );
  return rows.length;
}

interface EscalatedRow {
  id: string;
  rule_id: string;
  subject: string;
  severity: AlertSeverity;
  message: string;
  value: unknown;
  fired_at: unknown;
}

/** Escalates every alert due, once each (the UPDATE's `escalated_at is null` is the claim), and stores the new notifications. */
async function escalate(db: Db, rules: Map<string, Rule>, at: SQL): Promise<number> {
  const { count, messages } = await db.transaction(async (tx) => {
    const rows = await queryRows<EscalatedRow>(
      tx,
      sql`update alerts a set severity = r.escalate_to, escalated_at = ${at}
          from alert_rules r
          where r.id = a.rule_id and r.enabled and r.escalate_after_minutes is not null and r.escalate_to is not null
            and a.state = 'active' and a.escalated_at is null
            and a.fired_at <= ${at} - r.escalate_after_minutes * interval '1 minute'
          returning a.id, a.rule_id, a.subject, a.severity, a.message, a.value, a.fired_at`,
    );
    const stored: EnqueuedMessage[] = [];
    for (const row of rows) {
      const rule = rules.get(row.rule_id) ?? (await loadRules(tx)).get(row.rule_id);
      if (!rule) continue;
      stored.push(
        ...(await enqueueAlertNotices(tx, {
          kind: "escalated",
          alertId: row.id,
          rule,
          subject: row.subject,
          severity: row.severity,
          message: row.message,
          value: row.value === null || row.value === undefined ? null : toNumber(row.value),
          firedAt: toDate(row.fired_at) ?? new Date(),
        })),
      );
    }
    return { count: rows.length, messages: stored };
  });
  await deliverNow(db, messages);
  return count;
}

async function loadRules(db: Db): Promise<Map<string, Rule>> {
  const rows = await db.select().from(alertRules);
  return new Map(rows.map((r) => [r.id, { id: r.id, ...specOf(r) }]));
}

/** Evaluates one rule: fires, refreshes and resolves its alerts. */
async function evaluateRule(
  db: Db,
  rule: Rule,
  at: SQL,
  now: Date | undefined,
  shared: Shared,
  result: EvaluationResult,
): Promise<void> {
  const observations = await measure(db, rule, at, now, shared);
  const breached = observations.filter((o) => breaches(rule, o.value));
  for (const obs of breached) {
    if (await touchOpenAlert(db, rule, obs, at)) continue;
    const fired = await fire(db, rule, obs, at);
    if (!fired) continue;
    result.fired.push(fired.alert);
    log.warn("alert fired", { rule: rule.name, subject: obs.subject, value: obs.value, alertId: fired.alert.alertId });
    await deliverNow(db, fired.messages);
  }
  result.resolved += await resolveRecovered(
    db,
    rule,
    breached.map((o) => o.subject),
    at,
  );
}

/**
 * Evaluates every enabled rule once (see the module's comment for the semantics). A rule that
 * fails is logged and listed in `errors`; the others are still evaluated. Database errors of
 * the shared steps (loading rules, escalation) are thrown.
 */
export async function evaluateAlerts(db: Db, options: EvaluateOptions = {}): Promise<EvaluationResult> {
  const at = options.now ? sql`${options.now.toISOString()}::timestamptz` : sql`now()`;
  const result: EvaluationResult = { evaluated: 0, fired: [], escalated: 0, resolved: 0, errors: [] };
  const rules = await loadRules(db);
  const shared: Shared = {};
  for (const rule of rules.values()) {
    if (!rule.enabled) continue;
    result.evaluated += 1;
    try {
      await evaluateRule(db, rule, at, options.now, shared, result);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.error("alerts: a rule failed to evaluate", { rule: rule.name, ruleId: rule.id, error });
      result.errors.push({ ruleId: rule.id, message });
    }
  }
  result.resolved += await resolveDisabled(db, at);
  result.escalated = await escalate(db, rules, at);
  return result;
}
