/**
 * Vercel's cron, on a compressed clock: every cron of vercel.json (`crons[].path`), called with
 * GET and `Authorization: Bearer $CRON_SECRET` every `everyMs` instead of on its schedule.
 *
 * It calls the production domain (the round-robin proxy), as Vercel's cron does: crons are sent
 * to the production deployment's domain, which Deployment Protection's standard mode leaves
 * open, so they carry no bypass header (they do not go through the deployment-URL proxy).
 *
 * A cron tick may run for minutes (its budget follows the route's maxDuration) and Vercel does
 * not wait for one call to end before the next; here at most `maxInFlight` calls of one path are
 * in flight, the rest skipped and counted, so the compressed clock cannot pile up hundreds of
 * concurrent ticks on two cores.
 */
import type { VercelConfig } from "./build";
import { sleep } from "./util";

export interface CronStats {
  calls: number;
  byStatus: Record<string, number>;
  skipped: number;
  errors: number;
}

export interface CronCaller {
  stats: Record<string, CronStats>;
  stop(): Promise<void>;
}

export function startCronCaller(
  crons: VercelConfig["crons"],
  baseUrl: string,
  cronSecret: string,
  everyMs: number,
  maxInFlight: number,
): CronCaller {
  const stats: Record<string, CronStats> = {};
  const inFlight = new Map<string, Set<Promise<void>>>();
  let stopped = false;
  const controller = new AbortController();

  const call = (path: string) => {
    const s = (stats[path] ??= { calls: 0, byStatus: {}, skipped: 0, errors: 0 });
    const running = inFlight.get(path) ?? new Set<Promise<void>>();
    inFlight.set(path, running);
    if (running.size >= maxInFlight) {
      s.skipped += 1;
      return;
    }
    s.calls += 1;
    const p = (async () => {
      try {
        const res = await fetch(new URL(path, baseUrl), {
          headers: { authorization: `Bearer ${cronSecret}` },
          signal: controller.signal,
        });
        await res.arrayBuffer();
        s.byStatus[res.status] = (s.byStatus[res.status] ?? 0) + 1;
      } catch {
        if (!stopped) s.errors += 1;
      }
    })();
    running.add(p);
    void p.finally(() => running.delete(p));
  };

  const loop = (async () => {
    while (!stopped) {
      for (const cron of crons) call(cron.path);
      await sleep(everyMs);
    }
  })();

  return {
    stats,
    stop: async () => {
      stopped = true;
      controller.abort();
      await loop;
    },
  };
}
