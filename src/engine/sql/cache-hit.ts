/**
 * The mark of an attempt its agent invoker answered from its result cache (the agents' gateway,
 * src/agents/gateway/cache.ts) without calling the agent: the step's `progress` (shown by the run
 * API and the dashboard's run detail) becomes `{ cache: "hit", key, storedAt, attempt }`. Such
 * an answer is synchronous, so no `task_progress` callback competes for the column.
 *
 * Written before the completion, under the attempt's fence (a superseded attempt marks nothing);
 * one extra statement on a path that saved a whole agent call. Lock: the step's own row, by
 * primary key (`steps_pkey`), which the attempt's completion locks next anyway.
 */
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import type { FencedAttempt } from "./attempts";

export async function markCacheHit(
  db: Db,
  step: Pick<FencedAttempt, "id" | "fence" | "attempt">,
  hit: { key: string; storedAt: string },
): Promise<void> {
  const progress = { cache: "hit", key: hit.key, storedAt: hit.storedAt, attempt: step.attempt };
  await db.execute(sql`update steps set progress = ${JSON.stringify(progress)}::jsonb
    where id = ${step.id} and fence = ${step.fence} and status = 'running'`);
}
