/**
 * Waking idle workers when work appears, so latency never waits for a poll or the cron:
 * - in the same process (local mode, tests): an in-memory signal;
 * - across processes on a direct Postgres connection: NOTIFY on `orchestrator_wake`, which
 *   `npm run worker` LISTENs to (PGlite and Neon's pooler have no cross-process LISTEN: they
 *   fall back to the backed-off poll, and on Vercel the tick route kicks itself).
 */
import { EventEmitter } from "node:events";

export const WAKE_CHANNEL = "orchestrator_wake";

const KEY = Symbol.for("agent-orchestrator.wake");
const g = globalThis as typeof globalThis & { [KEY]?: EventEmitter };
const emitter: EventEmitter = (g[KEY] ??= new EventEmitter().setMaxListeners(100));

/** Wakes every worker loop of this process. */
export function wakeLocalWorkers(): void {
  emitter.emit("wake");
}

/** Resolves after `ms`, or earlier when woken or aborted. */
export function sleepUntilWoken(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      emitter.off("wake", done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    emitter.once("wake", done);
    signal?.addEventListener("abort", done, { once: true });
  });
}
