/**
 * Replay protection for signed calls: a signature is accepted once. Its MAC is stored until
 * the signature window has passed (after which the timestamp check refuses it anyway), so a
 * captured request cannot be sent again. The sweep prunes expired entries.
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

export async function pruneSeenSignatures(db: Db): Promise<number> {
  const rows = await queryRows<{ mac: string }>(db, sql`delete from seen_signatures where expires_at < now() returning mac`);
  return rows.length;
}
