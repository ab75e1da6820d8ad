/**
 * Waking the workers of other processes after new work appears (kick.ts): a NOTIFY on the
 * channel `npm run worker` LISTENs to on a direct connection. Delivered at commit when sent
 * inside a transaction; takes no lock, reads no table.
 */
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { WAKE_CHANNEL } from "../wake";

export async function notifyWorkers(db: Db): Promise<void> {
  await db.execute(sql`select pg_notify(${WAKE_CHANNEL}, '')`);
}
