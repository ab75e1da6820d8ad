/**
 * The chaos loop: at random moments (the first within 4 s, then every min..max ms) one healthy server is SIGKILLed and
 * started again at once (a platform replacing a reclaimed instance); its cold start is recorded
 * by the pool. At least one other healthy server must remain, so the deployment is degraded,
 * never down.
 */
import type { ServerPool } from "./servers";
import { randomBetween, say, sleep } from "./util";

export interface Chaos {
  stop(): Promise<void>;
}

export function startChaos(pool: ServerPool, minMs: number, maxMs: number): Chaos {
  let stopped = false;
  let wake: (() => void) | undefined;
  const restarts = new Set<Promise<unknown>>();
  // The first kill comes early, so the short workloads also run through one.
  let delay = randomBetween(500, Math.min(4_000, minMs));
  const loop = (async () => {
    while (!stopped) {
      await Promise.race([sleep(delay), new Promise<void>((r) => (wake = r))]);
      delay = randomBetween(minMs, maxMs);
      if (stopped) break;
      const healthy = pool.slots.filter((s) => s.healthy);
      if (healthy.length < 2) continue;
      const victim = healthy[Math.floor(Math.random() * healthy.length)]!;
      await pool.kill(victim);
      const restart = pool
        .start(victim)
        .then((ms) => ms >= 0 && say(`chaos: server ${victim.index} back in ${ms} ms`))
        .catch((error: unknown) => say(`chaos: server ${victim.index} did not come back: ${String(error)}`));
      restarts.add(restart);
      void restart.finally(() => restarts.delete(restart));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      wake?.();
      await loop;
      await Promise.all(restarts);
    },
  };
}
