/** The query and path schemas of the alert routes (the routes stay thin: parse, authorise, call). */
import { z } from "zod";
import { ALERT_STATES } from "@/db/schema";
import { ApiError } from "@/http/errors";

/** `<time with microseconds>|<uuid>`, as the keyset lists return it in `nextCursor`. */
export const timeIdCursor = z
  .string()
  .max(200)
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z\|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be a nextCursor of this list")
  .transform((s) => {
    const [at, id] = s.split("|") as [string, string];
    return { at, id };
  })
  .refine((c) => !Number.isNaN(Date.parse(c.at)), "must be a nextCursor of this list");

export const alertsQuery = z.strictObject({
  state: z.enum(ALERT_STATES).optional(),
  ruleId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: timeIdCursor.optional(),
});

/** The `[id]` of an alert or rule route: anything but a UUID names nothing (404, like an unknown one). */
export function idParam(value: string | undefined, what: "alert" | "alert rule"): string {
  const id = z.uuid().safeParse(value);
  if (!id.success) throw new ApiError("not_found", `No ${what} has this id.`);
  return id.data;
}
