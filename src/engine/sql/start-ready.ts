/**
 * Starting the top-level steps a settlement just made ready, in one statement.
 *
 * They are still `pending` (the settlement deferred them, progress.ts `deferReady`): with
 * `claim`, the ones whose timeout fits are claimed for the caller, which runs them at once
 * without another claim round trip and commit (a sequential chain then costs one commit per
 * step); the others are queued for any worker. Without `claim` every one is queued
 * (`timeout_ms <= -1` holds for none).
 *
 * Locks: the named rows of one run, already locked by the settling transaction (it just
 * updated their counters), so this adds no lock and no wait.
 * Index: `steps_run_name_idx (run_id, name, item_index)`.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { CLAIM_RETURNING, claimSet, toClaimed, type ClaimedStep, type ClaimParams, type ClaimRow } from "./claim";

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
          update steps s set status = 'running', ${claimSet(claim?.leaseGraceMs ?? 0)}
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
