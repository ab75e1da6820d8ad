"use client";
/**
 * The agents' result cache (issue 17): per cacheable action, its TTL and version,
 * its lookups and hit rate over the last hour, the entries stored now and a hit's lookup latency.
 * A miss rate over the `cache_miss_rate` rule's threshold (30 % by default) is flagged here as
 * on the alerts. Invalidation is the API's: `DELETE /api/agents/cache?agent=&action=` or `?key=`.
 */
import { useAgentCache } from "@/dashboard/cache";
import { compact, duration, percent } from "@/dashboard/format";
import { LoadState, Panel } from "./panel";

/** The built-in rule's default: a miss rate above it is flagged. */
const MISS_RATE_FLAG = 0.3;

function ttl(ms: number | null): string {
  if (ms === null) return "—";
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  return duration(ms);
}

export function CachePanel() {
  const cache = useAgentCache();
  const actions = cache.data?.actions ?? [];
  return (
    <Panel title="Agent result cache" resources={[cache]} className="dash-cache">
      <LoadState resource={cache} what="the result cache" />
      {cache.data && actions.length === 0 ? <p className="dash-muted">No action is cacheable.</p> : null}
      {actions.length > 0 ? (
        <div className="dash-table-wrap">
          <table className="dash-table">
            <caption>Last {cache.data?.windowMinutes} min, per action</caption>
            <thead>
              <tr>
                <th scope="col">Action</th>
                <th scope="col">TTL · version</th>
                <th scope="col">Lookups</th>
                <th scope="col">Hit rate</th>
                <th scope="col">Entries</th>
                <th scope="col">Hit p50 · p95</th>
              </tr>
            </thead>
            <tbody>
              {actions.map((a) => {
                const flagged = a.cacheable && a.missRate !== null && a.missRate > MISS_RATE_FLAG;
                return (
                  <tr key={`${a.agent}/${a.action}`} data-cache-action={`${a.agent}/${a.action}`}>
                    <td className="dash-break">
                      {a.agent}/{a.action}
                      {a.cacheable ? null : <span className="dash-muted dash-small"> (no longer cacheable)</span>}
                    </td>
                    <td>
                      {ttl(a.ttlMs)}
                      {a.version === null ? "" : ` · v${a.version}`}
                    </td>
                    <td className="dash-num">
                      {compact(a.lookups)}
                      <span className="dash-muted dash-small">
                        {" "}
                        ({compact(a.hits)} hit{a.hits === 1 ? "" : "s"})
                      </span>
                    </td>
                    <td className={flagged ? "dash-num dash-bad" : "dash-num"}>{percent(a.hitRate)}</td>
                    <td className="dash-num">{compact(a.entries)}</td>
                    <td className="dash-num">
                      {a.hitP50Ms === null ? "—" : `${a.hitP50Ms.toFixed(2)} · ${(a.hitP95Ms ?? 0).toFixed(2)} ms`}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </Panel>
  );
}
