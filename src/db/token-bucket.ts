/**
 * Token buckets in Postgres, refilled lazily by the statement that takes a token, so every
 * serverless instance draws from the same bucket: agents' rate limits (`agent_rate_buckets`)
 * and public endpoints' limits per client (`request_rate_buckets`).
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "./client";

export interface BucketLimit {
  /** Bucket size: the burst allowed. */
  capacity: number;
  /** Tokens added per millisecond. */
  perMs: number;
}

const TABLES = {
  agent: { table: sql.identifier("agent_rate_buckets"), key: sql.identifier("agent") },
  request: { table: sql.identifier("request_rate_buckets"), key: sql.identifier("key") },
} as const;

/** Takes one token, or says when one will be there. */
export async function takeToken(
  db: Db,
  kind: keyof typeof TABLES,
  key: string,
  limit: BucketLimit,
): Promise<{ ok: true } | { ok: false; until: Date }> {
  const { table, key: column } = TABLES[kind];
  const refill = (tokens: ReturnType<typeof sql>, at: ReturnType<typeof sql>) =>
    sql`least(${limit.capacity}::float8, ${tokens} + extract(epoch from (clock_timestamp() - ${at})) * 1000 * ${limit.perMs}::float8)`;
  const [taken] = await queryRows<{ tokens: unknown }>(
    db,
    sql`insert into ${table} as b (${column}, tokens, refilled_at) values (${key}, ${limit.capacity - 1}, clock_timestamp())
        on conflict (${column}) do update set tokens = ${refill(sql`b.tokens`, sql`b.refilled_at`)} - 1, refilled_at = clock_timestamp()
        where ${refill(sql`b.tokens`, sql`b.refilled_at`)} >= 1
        returning tokens`,
  );
  if (taken) return { ok: true };
  const [row] = await queryRows<{ missing: unknown }>(
    db,
    sql`select 1 - ${refill(sql`tokens`, sql`refilled_at`)} as missing from ${table} where ${column} = ${key}`,
  );
  const waitMs = Math.max(1, Math.ceil(Number(row?.missing ?? 1) / limit.perMs));
  return { ok: false, until: new Date(Date.now() + waitMs) };
}

/**
 * Deletes up to `batch` public-endpoint buckets untouched for `idleMs` (a bucket idle longer than
 * its refill time is full, the same as no bucket). Returns how many went. Decision: no index on
 * `refilled_at`: the table holds only the buckets touched within the idle time (this prune keeps
 * it so), and one scan of it a minute per instance costs less than maintaining an index on the
 * column every token updates.
 */
export async function pruneIdleRequestBuckets(db: Db, idleMs: number, batch: number): Promise<number> {
  const rows = await queryRows<{ key: string }>(
    db,
    sql`delete from request_rate_buckets where key in (
          select key from request_rate_buckets where refilled_at < clock_timestamp() - ${idleMs} * interval '1 millisecond'
          limit ${batch}
        ) returning key`,
  );
  return rows.length;
}
