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
import { parsePerAgent } from "./per-agent";

export type RateLimit = BucketLimit;

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** Parses `agent=N/s,other=M/m`; malformed entries are a configuration error. */
export function parseRateLimits(text: string | undefined): Map<string, RateLimit> {
  return parsePerAgent("AGENT_RATE_LIMITS", text, '"agent=10/s"', (raw) => {
    const m = /^(\d+(?:\.\d+)?)\s*\/\s*([smh])$/.exec(raw);
    const n = m ? Number(m[1]) : 0;
    return n > 0 ? { capacity: Math.max(1, n), perMs: n / UNIT_MS[m![2] as keyof typeof UNIT_MS] } : undefined;
  });
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
