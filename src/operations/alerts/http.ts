/** The query and path schemas of the alert routes (the routes stay thin: parse, authorise, call). */
import { z } from "zod";
import { ALERT_STATES } from "@/db/schema";
import { keysetCursor } from "@/db/keyset";
import { NotFoundError } from "@/errors";

/** The alerts list's cursor (src/db/keyset.ts). */
export const timeIdCursor = keysetCursor;

export const alertsQuery = z.strictObject({
  state: z.enum(ALERT_STATES).optional(),
  ruleId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: timeIdCursor.optional(),
});

/** The `[id]` of an alert or rule route: anything but a UUID names nothing (404, like an unknown one). */
export function idParam(value: string | undefined, what: "alert" | "alert rule"): string {
  const id = z.uuid().safeParse(value);
  if (!id.success) throw new NotFoundError(`No ${what} has this id.`);
  return id.data;
}
