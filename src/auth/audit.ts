/** The audit log: who did what, to what, when, and with which outcome. Append-only. */
import { desc, lt } from "drizzle-orm";
import type { Db } from "@/db/client";
import { auditLog } from "@/db/schema";

export interface AuditEntry {
  actor: string;
  keyId: string | null;
  action: string;
  target?: string | null;
  outcome: number;
  details?: Record<string, unknown> | null;
}

export interface AuditView {
  id: number;
  at: string;
  actor: string;
  keyId: string | null;
  action: string;
  target: string | null;
  outcome: number;
  details: unknown;
}

export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    actor: entry.actor,
    keyId: entry.keyId,
    action: entry.action,
    target: entry.target ?? null,
    outcome: entry.outcome,
    details: entry.details ?? null,
  });
}

export interface ListAuditParams {
  limit: number;
  /** Keyset cursor: entries with an id below this one (the previous page's `nextCursor`). */
  before?: number;
}

/** Newest first; served by the primary key. */
export async function listAudit(
  db: Db,
  params: ListAuditParams,
): Promise<{ entries: AuditView[]; nextCursor: string | null }> {
  const rows = await db
    .select()
    .from(auditLog)
    .where(params.before !== undefined ? lt(auditLog.id, params.before) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(params.limit + 1);
  const page = rows.slice(0, params.limit);
  const last = page.at(-1);
  return {
    entries: page.map((r) => ({ ...r, at: r.at.toISOString() })),
    nextCursor: rows.length > params.limit && last ? String(last.id) : null,
  };
}
