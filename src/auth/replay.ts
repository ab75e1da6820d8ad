/**
 * Replay protection for signed calls: a signature is accepted once. Its MAC is stored until
 * the signature window has passed (after which the timestamp check refuses it anyway), so a
 * captured request cannot be sent again. The sweep prunes expired entries.
 *
 * The same store holds the MACs of revoked dashboard sessions (`session:<JWT signature>`, kept
 * until the token expires): a session token is a MAC too, and signing out spends it. Decision:
 * one store of spent MACs with expiry rather than a second table with the same shape and sweep.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { SIGNATURE_TOLERANCE_SECONDS } from "./signature";

/** True the first time this MAC is seen; false for a replay. */
export async function rememberSignature(db: Db, mac: string): Promise<boolean> {
  const rows = await queryRows<{ mac: string }>(
    db,
    sql`insert into seen_signatures (mac, expires_at) values (${mac}, now() + ${2 * SIGNATURE_TOLERANCE_SECONDS} * interval '1 second')
        on conflict (mac) do nothing returning mac`,
  );
  return rows.length > 0;
}

/** Records a MAC as spent until `expiresAt` (idempotent). */
export async function spendMac(db: Db, mac: string, expiresAt: Date): Promise<void> {
  await db.execute(
    sql`insert into seen_signatures (mac, expires_at) values (${mac}, ${expiresAt.toISOString()}::timestamptz) on conflict (mac) do nothing`,
  );
}

/** True when the MAC was spent (and its entry has not expired). */
export async function isMacSpent(db: Db, mac: string): Promise<boolean> {
  const rows = await queryRows<{ mac: string }>(
    db,
    sql`select mac from seen_signatures where mac = ${mac} and expires_at >= now() limit 1`,
  );
  return rows.length > 0;
}
