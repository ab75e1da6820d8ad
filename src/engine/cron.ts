/**
 * Cron triggers: every tick starts the runs of scheduled instants that have passed, within a
 * look-back window, each with the idempotency key `cron:<instant>`. The unique key means
 * exactly one run per instant however many ticks run at once, and a missed tick is caught up
 * by the next one (within the window). Instants before the version was registered never run.
 */
import { Cron } from "croner";
import type { Db } from "@/db/client";
import { listLatestDefinitions } from "./registry";
import { startRun } from "./start-run";

/** How far back a tick looks for missed instants (the cron route runs every minute). */
export const CRON_LOOKBACK_MS = 10 * 60_000;
/** At most this many instants per workflow per tick (a `* * * * * *` schedule must not flood). */
const MAX_INSTANTS = 20;

export function dueInstants(expression: string, from: Date, to: Date): Date[] {
  const cron = new Cron(expression, { paused: true, timezone: "UTC" });
  const out: Date[] = [];
  let next = cron.nextRun(from);
  while (next && next <= to && out.length < MAX_INSTANTS) {
    out.push(next);
    next = cron.nextRun(next);
  }
  return out;
}

export async function startDueCronRuns(db: Db, now = new Date()): Promise<number> {
  let started = 0;
  for (const registered of await listLatestDefinitions(db)) {
    const trigger = registered.definition.trigger;
    if (trigger.type !== "cron") continue;
    const from = new Date(Math.max(now.getTime() - CRON_LOOKBACK_MS, new Date(registered.createdAt).getTime()));
    for (const at of dueInstants(trigger.expression, from, now)) {
      const run = await startRun(db, {
        workflow: registered.name,
        version: registered.version,
        idempotencyKey: `cron:${at.toISOString()}`,
        trigger: { type: "cron", at: at.toISOString() },
      });
      if (run.created) started++;
    }
  }
  return started;
}
