import { sql } from "drizzle-orm";
import { z } from "zod";
import { defineAction } from "../framework";

/**
 * The agent side of a health probe: one `select 1` round trip on the agent's database handle.
 * A database failure is thrown as is, so the call fails as an agent failure (500, retried).
 */
export const healthAction = defineAction({
  description: "Answers ok with the latency of a `select 1` on the database; fails when the database does not answer.",
  input: z.strictObject({}),
  output: z.strictObject({
    status: z.literal("ok"),
    /** Round trip of `select 1`, in milliseconds. */
    dbLatencyMs: z.number().nonnegative(),
    checkedAt: z.iso.datetime(),
  }),
  timeoutMs: 5_000,
  handler: async (_input, ctx) => {
    const started = performance.now();
    await ctx.db.execute(sql`select 1`);
    const dbLatencyMs = Math.round((performance.now() - started) * 100) / 100;
    return { status: "ok" as const, dbLatencyMs, checkedAt: new Date().toISOString() };
  },
});
