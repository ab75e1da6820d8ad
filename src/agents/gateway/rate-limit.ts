/**
 * Rate limits per agent: a token bucket per agent in Postgres (`agent_rate_buckets`), refilled
 * lazily by the statement that takes a token, so every instance draws from the same bucket.
 * Configured with AGENT_RATE_LIMITS (`design-ia=10/s,ads=100/m`); an agent without a limit
 * costs nothing. A limited step is deferred until a token will be there, not failed.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { readEnv } from "@/env";
import { memoOnEnv } from "./env-memo";

export interface RateLimit {
  /** Bucket size: the burst allowed. */
  capacity: number;
  /** Tokens added per millisecond. */
  perMs: number;
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** Parses `agent=N/s,other=M/m`; malformed entries are a configuration error. */
export function parseRateLimits(text: string | undefined): Map<string, RateLimit> {
  const limits = new Map<string, RateLimit>();
  for (const part of (text ?? "").split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z][a-z0-9-]*)\s*=\s*(\d+(?:\.\d+)?)\s*\/\s*([smh])$/.exec(part);
    if (!m || Number(m[2]) <= 0) throw new Error(`AGENT_RATE_LIMITS: "${part}" is not like "agent=10/s"`);
    const n = Number(m[2]);
    limits.set(m[1]!, { capacity: Math.max(1, n), perMs: n / UNIT_MS[m[3] as keyof typeof UNIT_MS] });
  }
  return limits;
}

const rateLimits = memoOnEnv(["AGENT_RATE_LIMITS"], () => parseRateLimits(readEnv().AGENT_RATE_LIMITS));

export function rateLimitOf(agent: string): RateLimit | undefined {
  return rateLimits().get(agent);
}

/** Takes one token, or says when one will be there. */
export async function takeToken(db: Db, agent: string, limit: RateLimit): Promise<{ ok: true } | { ok: false; until: Date }> {
  const refill = (tokens: ReturnType<typeof sql>, at: ReturnType<typeof sql>) =>
    sql`least(${limit.capacity}::float8, ${tokens} + extract(epoch from (clock_timestamp() - ${at})) * 1000 * ${limit.perMs}::float8)`;
  const [taken] = await queryRows<{ tokens: unknown }>(
    db,
    sql`insert into agent_rate_buckets as b (agent, tokens, refilled_at) values (${agent}, ${limit.capacity - 1}, clock_timestamp())
        on conflict (agent) do update set tokens = ${refill(sql`b.tokens`, sql`b.refilled_at`)} - 1, refilled_at = clock_timestamp()
        where ${refill(sql`b.tokens`, sql`b.refilled_at`)} >= 1
        returning tokens`,
  );
  if (taken) return { ok: true };
  const [row] = await queryRows<{ missing: unknown }>(
    db,
    sql`select 1 - ${refill(sql`tokens`, sql`refilled_at`)} as missing from agent_rate_buckets where agent = ${agent}`,
  );
  const waitMs = Math.max(1, Math.ceil(Number(row?.missing ?? 1) / limit.perMs));
  return { ok: false, until: new Date(Date.now() + waitMs) };
}
