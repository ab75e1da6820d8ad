/**
 * Rate limits per agent: a token bucket per agent in Postgres (`agent_rate_buckets`, see
 * db/token-bucket.ts), so every instance draws from the same bucket.
 * Configured with AGENT_RATE_LIMITS (`design-ia=10/s,ads=100/m`); an agent without a limit
 * costs nothing. A limited step is deferred until a token will be there, not failed.
 */
import type { Db } from "@/db/client";
import { takeToken, type BucketLimit } from "@/db/token-bucket";
import { readEnv } from "@/env";
import { memoOnEnv } from "./env-memo";

export type RateLimit = BucketLimit;

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** Parses `agent=N/s,other=M/m`; malformed entries are a configuration error. */
export function parseRateLimits(text: string | undefined): Map<string, RateLimit> {
  const limits = new Map<string, RateLimit>();
  for (const part of (text ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
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

/** Takes one token from the agent's bucket, or says when one will be there. */
export function takeAgentToken(
  db: Db,
  agent: string,
  limit: RateLimit,
): Promise<{ ok: true } | { ok: false; until: Date }> {
  return takeToken(db, "agent", agent, limit);
}
