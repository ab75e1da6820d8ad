/**
 * Backups and restore drills as operators see them (`GET /api/backups`, the dashboard): newest
 * first, in keyset pages on (started_at desc, id desc), with size, duration, destinations (where,
 * never a credential; whether retention removed the copy) and verification state, plus the last
 * successful backup and drill, which the alert rule and the dashboard panel read.
 */
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import { keysetCursor, keysetPage } from "@/db/keyset";
import { toDate, toIso, toNumber } from "@/db/rows";
import type { BackupDestinationRecord } from "@/db/schema/backups";

export const backupsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: keysetCursor.optional(),
});

export interface BackupView {
  id: string;
  status: string;
  trigger: string;
  requestedBy: string | null;
  schemaVersion: string;
  tables: number;
  rows: number;
  bytes: number;
  parts: number;
  durationMs: number | null;
  destinations: BackupDestinationRecord[];
  verification: string;
  verifiedAt: string | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface DrillView {
  id: string;
  backupId: string | null;
  status: string;
  tables: number;
  rows: number;
  durationMs: number | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

interface BackupRow {
  id: string;
  status: string;
  trigger: string;
  requested_by: string | null;
  schema_version: string;
  tables: unknown;
  rows: unknown;
  bytes: unknown;
  parts: unknown;
  duration_ms: unknown;
  destinations: BackupDestinationRecord[];
  verification: string;
  verified_at: unknown;
  error: string | null;
  started_at: unknown;
  finished_at: unknown;
}

const BACKUP_COLUMNS = sql.raw(
  "id, status, trigger, requested_by, schema_version, tables, rows, bytes, parts, duration_ms, destinations, verification, verified_at, error, started_at, finished_at",
);

function backupView(r: BackupRow): BackupView {
  return {
    id: r.id,
    status: r.status,
    trigger: r.trigger,
    requestedBy: r.requested_by,
    schemaVersion: r.schema_version,
    tables: toNumber(r.tables),
    rows: toNumber(r.rows),
    bytes: toNumber(r.bytes),
    parts: toNumber(r.parts),
    durationMs: r.duration_ms === null ? null : toNumber(r.duration_ms),
    destinations: r.destinations,
    verification: r.verification,
    verifiedAt: toIso(r.verified_at),
    error: r.error,
    startedAt: toIso(r.started_at)!,
    finishedAt: toIso(r.finished_at),
  };
}

interface DrillRow {
  id: string;
  backup_id: string | null;
  status: string;
  tables: unknown;
  rows: unknown;
  duration_ms: unknown;
  error: string | null;
  started_at: unknown;
  finished_at: unknown;
}

function drillView(r: DrillRow): DrillView {
  return {
    id: r.id,
    backupId: r.backup_id,
    status: r.status,
    tables: toNumber(r.tables),
    rows: toNumber(r.rows),
    durationMs: r.duration_ms === null ? null : toNumber(r.duration_ms),
    error: r.error,
    startedAt: toIso(r.started_at)!,
    finishedAt: toIso(r.finished_at),
  };
}

export async function listBackups(
  db: Db,
  params: z.output<typeof backupsQuery>,
): Promise<{ backups: BackupView[]; nextCursor: string | null }> {
  const c = params.cursor;
  const rows = await queryRows<BackupRow & { cursor_at: string }>(
    db,
    sql`select ${BACKUP_COLUMNS}, to_char(started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at
        from backups
        where (${c?.at ?? null}::timestamptz is null or (started_at, id) < (${c?.at ?? null}::timestamptz, ${c?.id ?? null}::uuid))
        order by started_at desc, id desc limit ${params.limit + 1}`,
  );
  const { page, nextCursor } = keysetPage(rows, params.limit);
  return { backups: page.map(backupView), nextCursor };
}

export interface BackupStatus {
  /** The newest backup that succeeded and read back verified. */
  lastBackup: BackupView | null;
  /** The newest drill that succeeded. */
  lastDrill: DrillView | null;
  /** The newest drill, whatever its outcome. */
  latestDrill: DrillView | null;
  /** The thresholds of the built-in alerts (hours; null when the rule is disabled or gone). */
  thresholds: { backupHours: number | null; drillHours: number | null };
}

export async function backupStatus(db: Db): Promise<BackupStatus> {
  const [backup] = await queryRows<BackupRow>(
    db,
    sql`select ${BACKUP_COLUMNS} from backups where status = 'succeeded' and verification = 'verified'
        order by finished_at desc nulls last, id desc limit 1`,
  );
  const drillColumns = sql.raw("id, backup_id, status, tables, rows, duration_ms, error, started_at, finished_at");
  const [drill] = await queryRows<DrillRow>(
    db,
    sql`select ${drillColumns} from backup_drills where status = 'succeeded' order by finished_at desc nulls last, id desc limit 1`,
  );
  const [latest] = await queryRows<DrillRow>(
    db,
    sql`select ${drillColumns} from backup_drills order by started_at desc, id desc limit 1`,
  );
  const rules = await queryRows<{ builtin: string; threshold: unknown }>(
    db,
    sql`select builtin, threshold from alert_rules where builtin in ('backup_stale', 'backup_drill_stale') and enabled`,
  );
  const threshold = (builtin: string) => {
    const rule = rules.find((r) => r.builtin === builtin);
    return rule ? toNumber(rule.threshold) : null;
  };
  return {
    thresholds: { backupHours: threshold("backup_stale"), drillHours: threshold("backup_drill_stale") },
    lastBackup: backup ? backupView(backup) : null,
    lastDrill: drill ? drillView(drill) : null,
    latestDrill: latest ? drillView(latest) : null,
  };
}

export interface BackupAge {
  /** Hours since the last success; with none yet, since the first attempt or, with none either, since the last deploy's migrations. */
  hours: number;
  detail: string;
}

/**
 * How old the last successful backup (verified) and the last successful restore drill are, for
 * the built-in alerts `backup_stale` and `backup_drill_stale`. A platform that never succeeded is
 * measured from when it first tried (or was last migrated), so a fresh install is not alerted
 * before its first scheduled backup could run.
 */
export async function backupAges(db: Db, now?: Date): Promise<{ backup: BackupAge; drill: BackupAge }> {
  const [row] = await queryRows<{
    backup_success: unknown;
    backup_first: unknown;
    drill_success: unknown;
    drill_first: unknown;
    deployed: unknown;
  }>(
    db,
    sql`select
      (select max(finished_at) from backups where status = 'succeeded' and verification = 'verified') as backup_success,
      (select min(started_at) from backups) as backup_first,
      (select max(finished_at) from backup_drills where status = 'succeeded') as drill_success,
      (select min(started_at) from backup_drills) as drill_first,
      (select max(applied_at) from schema_migrations) as deployed`,
  );
  const reference = (value: unknown) => toDate(value);
  const nowMs = now?.getTime() ?? Date.now();
  const age = (success: unknown, first: unknown, what: string): BackupAge => {
    const last = reference(success);
    if (last)
      return { hours: (nowMs - last.getTime()) / 3_600_000, detail: `last successful ${what} ${last.toISOString()}` };
    const since = reference(first) ?? reference(row?.deployed) ?? new Date(nowMs);
    return {
      hours: (nowMs - since.getTime()) / 3_600_000,
      detail: `no successful ${what} yet (measured from ${since.toISOString()})`,
    };
  };
  return {
    backup: age(row?.backup_success, row?.backup_first, "backup"),
    drill: age(row?.drill_success, row?.drill_first, "restore drill"),
  };
}
