/**
 * Rate limits of public endpoints, in Postgres (db/token-bucket.ts) so they hold across
 * serverless instances. Over the limit: 429 with Retry-After.
 *
 * A public route has two buckets: one per client address (src/http/client-address.ts: the
 * trusted hop's address, IPv6 per /64) and one for all addresses together, so a client spread
 * over many addresses is bounded too. Decision: the per-address bucket is taken first, so one
 * address over its own limit never drains the shared ceiling for everyone else.
 *
 * Idle buckets are pruned on write: at most once a minute per process, in batches (a bucket idle
 * for longer than its refill time is the same as no bucket).
 */
import type { Db } from "@/db/client";
import { pruneIdleRequestBuckets, takeToken, type BucketLimit } from "@/db/token-bucket";
import { log } from "@/observability/log";
import { PROJECTS_PER_ADDRESS } from "@/projects/schema";
import { ApiError } from "./errors";

export { clientAddress } from "./client-address";

export interface AddressLimit {
  /** Bucket keys: `<name>:<address>` per address, `<name>:*` for all addresses together. */
  name: string;
  perAddress: BucketLimit;
  allAddresses: BucketLimit;
}

/**
 * Orders (`POST /api/projects` and the /start form share it): 5 per address then one a minute;
 * all addresses together a burst of 600, then one a second. Decision: far above the orders a day
 * brings and above the long rehearsal's 500 orders in flight (`npm run rehearse -- --long`), and
 * still a ceiling (3,600 an hour) on what a client spread over many addresses can make the
 * platform create (Checkout sessions; in test mode, whole sites).
 */
export const ORDER_LIMIT: AddressLimit = {
  name: "projects",
  perAddress: PROJECTS_PER_ADDRESS,
  allAddresses: { capacity: 600, perMs: 1 / 1_000 },
};

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
  throw new ApiError("rate_limited", `Too many requests; try again in ${seconds} s.`, undefined, {
    headers: { "Retry-After": String(seconds) },
  });
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
