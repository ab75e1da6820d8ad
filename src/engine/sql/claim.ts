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
 * Served by `steps_ready_idx (priority desc, ready_at) where status = 'queued'`.
 */
import { sql } from "drizzle-orm";
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

const CLAIM_SET = (
  leaseGraceMs: number,
) => sql`status = 'running', attempts = s.attempts + 1, fence = nextval('step_fence_seq'),
  lease_expires_at = now() + (s.timeout_ms + ${leaseGraceMs}) * interval '1 millisecond', started_at = coalesce(s.started_at, now())`;
const CLAIM_RETURNING = sql`s.id, s.run_id, s.name, s.item_index, s.kind, s.attempts, s.max_attempts, s.timeout_ms, s.fence, s.item,
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
        update steps s set ${CLAIM_SET(params.leaseGraceMs)}
        from c where s.id = c.id
        returning ${CLAIM_RETURNING}`,
  );
  return rows.map(toClaimed);
}

/**
 * Starts the given top-level steps of one run, which the transaction just made ready (they are
 * still `pending`): with `claim`, the ones whose timeout fits are claimed for the caller, which
 * runs them at once without another claim round trip and commit (a sequential chain then
 * costs one commit per step); the others are queued for any worker. One statement.
 */
export async function startReadySteps(
  tx: Db,
  runId: string,
  names: string[],
  claim?: Omit<ClaimParams, "limit">,
): Promise<ClaimedStep[]> {
  if (names.length === 0) return [];
  const maxTimeout = claim ? Math.floor(claim.maxTimeoutMs) : -1;
  const target = sql`s.run_id = ${runId} and s.item_index = -1 and s.name = any(${sql.param(names)}::text[]) and s.status = 'pending'`;
  const rows = await queryRows<ClaimRow>(
    tx,
    sql`with claimed as (
          update steps s set ${CLAIM_SET(claim?.leaseGraceMs ?? 0)}
          where ${target} and s.timeout_ms <= ${maxTimeout}
          returning ${CLAIM_RETURNING}
        ), queued as (
          update steps s set status = 'queued', ready_at = now()
          where ${target} and s.timeout_ms > ${maxTimeout}
        )
        select * from claimed`,
  );
  return rows.map(toClaimed);
}

/**
 * Milliseconds until the earliest future timer: a queued step's `ready_at` (retry backoff,
 * deferral) whose timeout fits, a waiting step's `ready_at` (sleep end, wait or callback
 * timeout), a running step's lease expiry. Null when none. Each `min` reads one partial index
 * (`steps_ready_idx`, `steps_due_idx`, `steps_lease_idx`), which are small when a tick finds
 * nothing ready, the only time this runs.
 */
export async function nextDueInMs(db: Db, maxTimeoutMs: number): Promise<number | null> {
  const [row] = await queryRows<{ ms: unknown }>(
    db,
    sql`select extract(epoch from least(
          (select min(ready_at) from steps where status = 'queued' and ready_at > now() and timeout_ms <= ${Math.floor(maxTimeoutMs)}),
          (select min(ready_at) from steps where status = 'waiting' and ready_at is not null),
          (select min(lease_expires_at) from steps where status = 'running')
        ) - now()) * 1000 as ms`,
  );
  if (row?.ms === null || row?.ms === undefined) return null;
  return Math.max(0, Math.ceil(toNumber(row.ms)));
}
