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
