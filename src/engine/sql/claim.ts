/**
 * Claiming ready steps.
 *
 * One statement: pick up to `limit` queued steps whose time has come, by priority then
 * readiness, skipping rows another claimer holds (`FOR UPDATE SKIP LOCKED`), and mark them
 * running with a lease (`now() + timeout + grace`) and a new fencing token from a sequence.
 * A completion must present that token while the row is still `running`; a late answer from an
 * attempt whose lease expired and was claimed again finds another token and is discarded.
 *
 * `timeout_ms <= maxTimeoutMs`: a tick only claims work that can finish inside its budget.
 * Locks: only the rows it picks; `SKIP LOCKED` means two claimers never wait on each other.
 * Index: `steps_ready_idx (priority desc, ready_at) where status = 'queued'` (its order is the
 * claim's order, so the scan stops after `limit` rows).
 */
import { sql, type SQL } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { toDate, toNumber } from "@/db/rows";

export interface ClaimedStep {
  id: number;
  runId: string;
  name: string;
  itemIndex: number;
  kind: string;
  attempt: number;
  maxAttempts: number;
  timeoutMs: number;
  fence: number;
  item: unknown;
  firstStartedAt: Date;
  claimedAt: Date;
}

export interface ClaimParams {
  limit: number;
  maxTimeoutMs: number;
  /** Added to the step's timeout for its lease: time to record the result after the timeout. */
  leaseGraceMs: number;
}

export interface ClaimRow {
  id: unknown;
  run_id: string;
  name: string;
  item_index: unknown;
  kind: string;
  attempts: unknown;
  max_attempts: unknown;
  timeout_ms: unknown;
  fence: unknown;
  item: unknown;
  started_at: unknown;
  claimed_at: unknown;
}

/**
 * What claiming writes besides `status = 'running'`: one more attempt, a new fencing token, the
 * lease, the first start. With `when`, each column changes only where `when` holds (the claim
 * folded into settle-succeeded.ts's dependents' update, which also counts rows it does not claim).
 */
export function claimSet(leaseGraceMs: number, when?: SQL): SQL {
  const columns: [string, SQL][] = [
    ["attempts", sql`s.attempts + 1`],
    ["fence", sql`nextval('step_fence_seq')`],
    ["lease_expires_at", sql`now() + (s.timeout_ms + ${leaseGraceMs}) * interval '1 millisecond'`],
    ["started_at", sql`coalesce(s.started_at, now())`],
  ];
  return sql.join(
    columns.map(([column, value]) => {
      const name = sql.raw(column);
      return when ? sql`${name} = case when ${when} then ${value} else s.${name} end` : sql`${name} = ${value}`;
    }),
    sql`, `,
  );
}

/** The columns of a claimed row (`ClaimRow`), for `returning`. */
export const CLAIM_RETURNING = sql`s.id, s.run_id, s.name, s.item_index, s.kind, s.attempts, s.max_attempts, s.timeout_ms, s.fence, s.item,
  s.started_at, now() as claimed_at`;

export function toClaimed(r: ClaimRow): ClaimedStep {
  return {
    id: toNumber(r.id),
    runId: r.run_id,
    name: r.name,
    itemIndex: toNumber(r.item_index),
    kind: r.kind,
    attempt: toNumber(r.attempts),
    maxAttempts: toNumber(r.max_attempts),
    timeoutMs: toNumber(r.timeout_ms),
    fence: toNumber(r.fence),
    item: r.item,
    firstStartedAt: toDate(r.started_at)!,
    claimedAt: toDate(r.claimed_at)!,
  };
}

export async function claimSteps(db: Db, params: ClaimParams): Promise<ClaimedStep[]> {
  if (params.limit <= 0 || params.maxTimeoutMs <= 0) return [];
  const rows = await queryRows<ClaimRow>(
    db,
    sql`with c as (
          select id from steps
          where status = 'queued' and ready_at <= now() and timeout_ms <= ${Math.floor(params.maxTimeoutMs)}
          order by priority desc, ready_at
          limit ${params.limit}
          for update skip locked
        )
        update steps s set status = 'running', ${claimSet(params.leaseGraceMs)}
        from c where s.id = c.id
        returning ${CLAIM_RETURNING}`,
  );
  return rows.map(toClaimed);
}
