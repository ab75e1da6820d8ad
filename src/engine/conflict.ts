/**
 * Transactions Postgres aborts to break a deadlock or a serialization conflict: nothing of them
 * was committed, so running them again is safe wherever their writes are conditional (fenced
 * completions) or idempotent (starts keyed by an idempotency key).
 */

import { hasSqlState, SQLSTATE } from "@/db/errors";

/** Postgres aborted the transaction to break a deadlock (40P01) or a serialization conflict (40001). */
export function isConflict(error: unknown): boolean {
  return hasSqlState(error, SQLSTATE.deadlockDetected, SQLSTATE.serializationFailure);
}

/**
 * Runs a transaction again when Postgres aborted it as a deadlock victim: nothing of it was
 * committed. Completions (fenced writes: a second try records the same result, instead of losing
 * it until the lease expires), starts keyed by an idempotency key, and the operator's cancel and
 * retry use it.
 */
export async function retryOnConflict<T>(fn: () => Promise<T>, tries = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= tries || !isConflict(error)) throw error;
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
    }
  }
}
