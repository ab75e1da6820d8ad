/**
 * Rate limits of public endpoints, per client address, in Postgres (db/token-bucket.ts) so
 * they hold across serverless instances. Over the limit: 429 with Retry-After.
 */
import type { Db } from "@/db/client";
import { takeToken, type BucketLimit } from "@/db/token-bucket";
import { ApiError } from "./errors";

/** The client's address as the platform's proxy reports it (Vercel sets x-forwarded-for). */
export function clientAddress(req: Request): string {
  const forwarded = req.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return forwarded || req.headers.get("x-real-ip")?.trim() || "unknown";
}

export async function enforceRateLimit(db: Db, key: string, limit: BucketLimit): Promise<void> {
  const token = await takeToken(db, "request", key, limit);
  if (token.ok) return;
  const seconds = Math.max(1, Math.ceil((token.until.getTime() - Date.now()) / 1000));
  throw new ApiError("rate_limited", `Too many requests; try again in ${seconds} s.`, undefined, { headers: { "Retry-After": String(seconds) } });
}
