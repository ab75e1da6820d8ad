/**
 * Alerts as operators see them: the history (newest first, in keyset pages), and the two
 * actions on one alert.
 *
 * States: `active` → `acknowledged` (an operator owns it: no escalation) → `resolved` (by an
 * operator, or `auto` when the evaluator no longer sees the breach). An active alert may be
 * resolved directly. Acknowledging twice keeps the first acknowledgement (who and when);
 * acknowledging a resolved alert is a conflict (there is nothing left to own); resolving a
 * resolved alert keeps the first resolution. Each action is one conditional UPDATE, so two
 * operators clicking at once produce one transition.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { keysetPage } from "@/db/keyset";
import type { AlertSeverity, AlertState } from "@/db/schema";
import { toIso, toNumber } from "@/db/rows";
import { ConflictError, NotFoundError } from "@/errors";

export interface AlertView {
  id: string;
  ruleId: string;
  ruleName: string;
  subject: string;
  severity: AlertSeverity;
  state: AlertState;
  message: string;
  value: number | null;
  firedAt: string;
  lastSeenAt: string;
  escalatedAt: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
}

interface AlertRow {
  id: string;
  rule_id: string;
  rule_name: string;
  subject: string;
  severity: AlertSeverity;
  state: AlertState;
  message: string;
  value: unknown;
  fired_at: unknown;
  last_seen_at: unknown;
  escalated_at: unknown;
  acknowledged_at: unknown;
  acknowledged_by: string | null;
  resolved_at: unknown;
  resolved_by: string | null;
  cursor_at: string;
}

/** Postgres keeps microseconds, a JS Date milliseconds: the cursor keeps the microseconds, or pages would skip rows. */
const COLUMNS = sql`a.id, a.rule_id, r.name as rule_name, a.subject, a.severity, a.state, a.message, a.value, a.fired_at, a.last_seen_at,
  a.escalated_at, a.acknowledged_at, a.acknowledged_by, a.resolved_at, a.resolved_by,
  to_char(a.fired_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at`;

function toView(r: AlertRow): AlertView {
  return {
    id: r.id,
    ruleId: r.rule_id,
    ruleName: r.rule_name,
    subject: r.subject,
    severity: r.severity,
    state: r.state,
    message: r.message,
    value: r.value === null || r.value === undefined ? null : toNumber(r.value),
    firedAt: toIso(r.fired_at)!,
    lastSeenAt: toIso(r.last_seen_at)!,
    escalatedAt: toIso(r.escalated_at),
    acknowledgedAt: toIso(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
    resolvedAt: toIso(r.resolved_at),
    resolvedBy: r.resolved_by,
  };
}

export class AlertNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`No alert has the id ${id}.`);
  }
}

export interface ListAlertsParams {
  state?: AlertState;
  ruleId?: string;
  limit: number;
  /** The `nextCursor` of the previous page: `<fired_at, microseconds>|<id>`. */
  cursor?: { firedAt: string; id: string };
}

/** Alerts, newest first (served by alerts_state_fired_idx, alerts_rule_fired_idx or alerts_fired_idx). */
export async function listAlerts(
  db: Db,
  params: ListAlertsParams,
): Promise<{ alerts: AlertView[]; nextCursor: string | null }> {
  const c = params.cursor;
  const rows = await queryRows<AlertRow>(
    db,
    sql`select ${COLUMNS} from alerts a join alert_rules r on r.id = a.rule_id
        where (${params.state ?? null}::text is null or a.state = ${params.state ?? null})
          and (${params.ruleId ?? null}::uuid is null or a.rule_id = ${params.ruleId ?? null}::uuid)
          and (${c?.firedAt ?? null}::timestamptz is null or (a.fired_at, a.id) < (${c?.firedAt ?? null}::timestamptz, ${c?.id ?? null}::uuid))
        order by a.fired_at desc, a.id desc limit ${params.limit + 1}`,
  );
  const { page, nextCursor } = keysetPage(rows, params.limit);
  return { alerts: page.map(toView), nextCursor };
}

export async function getAlert(db: Db, id: string): Promise<AlertView> {
  const [row] = await queryRows<AlertRow>(
    db,
    sql`select ${COLUMNS} from alerts a join alert_rules r on r.id = a.rule_id where a.id = ${id}`,
  );
  if (!row) throw new AlertNotFoundError(id);
  return toView(row);
}

/** `active` → `acknowledged` by `actor`. Already acknowledged: unchanged (the first one stands). Resolved: ConflictError. */
export async function acknowledgeAlert(db: Db, id: string, actor: string): Promise<AlertView> {
  await db.execute(sql`update alerts set state = 'acknowledged', acknowledged_at = now(), acknowledged_by = ${actor}
    where id = ${id} and state = 'active'`);
  const alert = await getAlert(db, id);
  if (alert.state === "resolved")
    throw new ConflictError("This alert is already resolved; there is nothing to acknowledge.", {
      state: alert.state,
      resolvedBy: alert.resolvedBy,
    });
  return alert;
}

/** `active` or `acknowledged` → `resolved` by `actor`. Already resolved: unchanged (the first resolution stands). */
export async function resolveAlert(db: Db, id: string, actor: string): Promise<AlertView> {
  await db.execute(sql`update alerts set state = 'resolved', resolved_at = now(), resolved_by = ${actor}
    where id = ${id} and state <> 'resolved'`);
  return getAlert(db, id);
}
