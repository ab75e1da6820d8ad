/**
 * Periodic chores that ride on the ticks (every driver runs ticks: the cron route, the local
 * worker loop, `npm run worker`), each at most once per interval per process and database. The
 * engine knows how to run them, not what they are: the composition root wires the list
 * (src/runtime/chores.ts: outbox, Shopify and outgoing-webhook deliveries, pruning, the metrics
 * rollup). A chore that fails is logged and tried again at its next turn; it never fails the tick.
 * `housekeepingDue` tells a route tick when the next delivery falls due, so it carries
 * outgoing-webhook and Shopify retries like its other timers.
 */
import type { Db } from "@/db/client";
import { log } from "@/observability/log";
import { engineWiring, type Chore } from "./wiring";

/** When each interval's chores last ran, per database (chores sharing an interval run together). */
const last = new WeakMap<Db, Map<number, number>>();

function lastRuns(db: Db): Map<number, number> {
  let runs = last.get(db);
  if (!runs) last.set(db, (runs = new Map()));
  return runs;
}

function wiredChores(): readonly Chore[] {
  return engineWiring()?.chores ?? [];
}

/**
 * When a route tick should run the chores for a delivery falling due, or null when none is
 * pending: `ms` is no earlier than the chore's rhythm in this process; `dueNow` says a delivery
 * is already due (the tick waits for such one only once: one the chore could not send, locked by
 * another sender, must not keep it waiting).
 */
export async function housekeepingDue(db: Db): Promise<{ ms: number; dueNow: boolean } | null> {
  const timed = wiredChores().filter((chore) => chore.nextDueInMs);
  const dues = await Promise.all(timed.map((chore) => chore.nextDueInMs?.(db) ?? null));
  const runs = lastRuns(db);
  let next: number | null = null;
  let ms = Infinity;
  for (const [i, chore] of timed.entries()) {
    const due = dues[i];
    if (due === null || due === undefined) continue;
    next = next === null ? due : Math.min(next, due);
    const rhythm = Math.max(0, Math.ceil((runs.get(chore.everyMs) ?? -Infinity) + chore.everyMs - performance.now()));
    ms = Math.min(ms, Math.max(due, rhythm));
  }
  return next === null ? null : { ms, dueNow: next === 0 };
}

export async function runHousekeeping(db: Db, options: { force?: boolean; deadline?: number } = {}): Promise<void> {
  const now = performance.now();
  const runs = lastRuns(db);
  const due = new Set<number>();
  for (const { everyMs } of wiredChores())
    if (options.force || now - (runs.get(everyMs) ?? -Infinity) >= everyMs) due.add(everyMs);
  for (const everyMs of due) runs.set(everyMs, now);
  for (const chore of wiredChores())
    if (due.has(chore.everyMs)) await runChore(db, chore, (options.deadline ?? Infinity) - performance.now());
}

async function runChore(db: Db, chore: Chore, budgetMs: number): Promise<void> {
  try {
    await chore.run(db, { budgetMs: Math.max(0, budgetMs) });
  } catch (error) {
    log.warn(`housekeeping: ${chore.name} failed`, { error });
  }
}
