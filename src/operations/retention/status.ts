/**
 * What retention shows: each table's setting and the record of its last pass (GET
 * /api/system/retention, the dashboard's retention panel), and how far behind each table is
 * now (the `retention_behind` alert condition).
 *
 * "Behind" is measured live, not read from the progress rows, so a retention that stopped
 * running altogether (no tick, a chore that keeps failing) shows too: the hours by which the
 * oldest prunable row (past its cutoff and held by nothing: the pass's own predicate) is older
 * than the cutoff. A table kept up with is a minute behind at most (the chore's rhythm).
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { toDate, toIso, toNumber } from "@/db/rows";
import { readEnv } from "@/env";
import { cutoffOf, oldestRows, RETENTION_TARGETS } from "./targets";

const HOUR_MS = 3_600_000;

export interface RetentionTableStatus {
  table: string;
  label: string;
  /** Days (null: kept forever). */
  retentionDays: number | null;
  /** The environment variable that sets it (null: a fixed window). */
  setting: string | null;
  why: string;
  lastRunAt: string | null;
  lastDurationMs: number | null;
  lastDeleted: number;
  lastDetail: Record<string, number> | null;
  totalDeleted: number;
  caughtUp: boolean;
  cutoff: string | null;
  oldestAt: string | null;
  oldestPrunableAt: string | null;
  /** Hours the oldest prunable row was past the cutoff at the last pass (0: caught up). */
  behindHours: number;
  note: string | null;
  lastError: string | null;
}

export interface RetentionStatus {
  passBudgetMs: number;
  tables: RetentionTableStatus[];
}

interface ProgressRow {
  table_name: string;
  cutoff: unknown;
  last_run_at: unknown;
  last_duration_ms: unknown;
  last_deleted: unknown;
  last_detail: unknown;
  total_deleted: unknown;
  caught_up: boolean;
  oldest_at: unknown;
  oldest_prunable_at: unknown;
  note: string | null;
  last_error: string | null;
}

function hoursBehind(cutoff: Date | null, oldestPrunable: Date | null): number {
  if (!cutoff || !oldestPrunable) return 0;
  return Math.max(0, Math.round(((cutoff.getTime() - oldestPrunable.getTime()) / HOUR_MS) * 10) / 10);
}

/** Every table retention prunes, with its setting and its last pass (never run: nulls and zeros). */
export async function retentionStatus(db: Db): Promise<RetentionStatus> {
  const env = readEnv();
  const rows = await queryRows<ProgressRow>(
    db,
    sql`select table_name, cutoff, last_run_at, last_duration_ms, last_deleted, last_detail, total_deleted, caught_up,
          oldest_at, oldest_prunable_at, note, last_error from retention_progress`,
  );
  const byName = new Map(rows.map((r) => [r.table_name, r]));
  return {
    passBudgetMs: env.RETENTION_PASS_BUDGET_MS,
    tables: RETENTION_TARGETS.map((target) => {
      const row = byName.get(target.table);
      const ran = row?.last_run_at !== null && row?.last_run_at !== undefined;
      return {
        table: target.table,
        label: target.label,
        retentionDays: target.retentionDays(env),
        setting: target.setting,
        why: target.why,
        lastRunAt: ran ? toIso(row?.last_run_at) : null,
        lastDurationMs: row?.last_duration_ms === null || !row ? null : toNumber(row.last_duration_ms),
        lastDeleted: row ? toNumber(row.last_deleted) : 0,
        lastDetail: (row?.last_detail as Record<string, number> | null | undefined) ?? null,
        totalDeleted: row ? toNumber(row.total_deleted) : 0,
        caughtUp: ran && (row?.caught_up ?? false),
        cutoff: toIso(row?.cutoff),
        oldestAt: toIso(row?.oldest_at),
        oldestPrunableAt: toIso(row?.oldest_prunable_at),
        behindHours: hoursBehind(toDate(row?.cutoff), toDate(row?.oldest_prunable_at)),
        note: row?.note ?? null,
        lastError: row?.last_error ?? null,
      };
    }),
  };
}

export interface RetentionLag {
  table: string;
  /** Hours the oldest prunable row is past the cutoff now (0: none). */
  hours: number;
  detail: string | null;
}

/** Each table's lag now, measured live (one or two index probes per table). Tables kept forever are left out. */
export async function retentionLag(db: Db, now?: Date): Promise<RetentionLag[]> {
  const env = readEnv();
  const at = now ?? toDate((await queryRows<{ now: unknown }>(db, sql`select now() as now`))[0]?.now) ?? new Date();
  const out: RetentionLag[] = [];
  for (const target of RETENTION_TARGETS) {
    let cutoff = cutoffOf(target, env, at);
    if (!cutoff) continue;
    let note: string | null = null;
    if (target.effectiveCutoff) ({ cutoff, note } = await target.effectiveCutoff(db, cutoff));
    const { oldestPrunableAt } = await oldestRows(db, target, cutoff);
    const hours = hoursBehind(cutoff, oldestPrunableAt);
    out.push({
      table: target.table,
      hours,
      detail:
        hours > 0
          ? `oldest prunable row from ${oldestPrunableAt?.toISOString()}, retention ${target.retentionDays(env)} days`
          : note,
    });
  }
  return out;
}
