/**
 * The cursor of every newest-first keyset list (runs, orders, alerts, the outbox):
 * `<time with microseconds>|<uuid>`, as the list returns it in `nextCursor`. Microseconds,
 * because Postgres keeps them and a millisecond cursor would skip rows that share a millisecond.
 */
import { z } from "zod";

const MESSAGE = "must be a nextCursor of this list";

export const keysetCursor = z
  .string()
  .max(200)
  .regex(/^[^|]+\|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, MESSAGE)
  .transform((s) => {
    const [at, id] = s.split("|") as [string, string];
    return { at, id };
  })
  .refine((c) => !Number.isNaN(Date.parse(c.at)), MESSAGE);

/**
 * One page of a newest-first keyset list queried with `limit + 1` rows (each carrying its
 * `cursor_at`, microseconds in UTC, and its `id`): the first `limit` rows, and the cursor of the
 * next page when the extra row shows there is one.
 */
export function keysetPage<R extends { cursor_at: string; id: string }>(
  rows: R[],
  limit: number,
): { page: R[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { page, nextCursor: rows.length > limit && last ? `${last.cursor_at}|${last.id}` : null };
}
