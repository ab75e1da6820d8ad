/**
 * Rate limits of public endpoints, in Postgres (db/token-bucket.ts) so they hold across
 * serverless instances. Over the limit: RateLimitedError (429 with Retry-After). The limits are
 * their owners': the order form's in src/projects/schema.ts, the login's in src/auth/session.ts.
 *
 * A public route has two buckets: one per client address (src/http/client-address.ts: the
 * trusted hop's address, IPv6 per /64) and one for all addresses together, so a client spread
 * over many addresses is bounded too. Decision: the per-address bucket is taken first, so one
 * address over its own limit never drains the shared ceiling for everyone else.
 *
 * Idle buckets are pruned on write: at most once a minute per process, in batches (a bucket idle
 * for longer than its refill time is the same as no bucket).
 */
import type { Db } from "./client";
import { pruneIdleRequestBuckets, takeToken, type BucketLimit } from "./token-bucket";
import { log } from "@/observability/log";
import { RateLimitedError } from "@/errors";

export interface AddressLimit {
  /** Bucket keys: `<name>:<address>` per address, `<name>:*` for all addresses together. */
  name: string;
  perAddress: BucketLimit;
  allAddresses: BucketLimit;
}

/** How long an untouched bucket is kept. Every limit here refills completely well within it. */
export const IDLE_BUCKET_MS = 60 * 60_000;
const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 1_000;
let lastPrune = -Infinity;

export async function enforceRateLimit(db: Db, key: string, limit: BucketLimit): Promise<void> {
  const token = await takeToken(db, "request", key, limit);
  await pruneNowAndThen(db);
  if (token.ok) return;
  const seconds = Math.max(1, Math.ceil((token.until.getTime() - Date.now()) / 1000));
  throw new RateLimitedError(`Too many requests; try again in ${seconds} s.`, seconds);
}

/** The address's own bucket, then the one of all addresses (see the file's comment). */
export async function enforceAddressLimit(db: Db, limit: AddressLimit, address: string): Promise<void> {
  await enforceRateLimit(db, `${limit.name}:${address}`, limit.perAddress);
  await enforceRateLimit(db, `${limit.name}:*`, limit.allAddresses);
}

async function pruneNowAndThen(db: Db): Promise<void> {
  const now = Date.now();
  if (now - lastPrune < PRUNE_EVERY_MS) return;
  lastPrune = now;
  try {
    await pruneIdleRequestBuckets(db, IDLE_BUCKET_MS, PRUNE_BATCH);
  } catch (error) {
    // Pruning is housekeeping: a failure must not refuse the request.
    log.warn("rate limit buckets: pruning failed", { error });
  }
}

/** Tests: the next write prunes. */
export function resetPruneClock(): void {
  lastPrune = -Infinity;
}
