"use client";
/**
 * Backups (issue 17), for everyone who can see the dashboard: the last verified backup and the
 * last successful restore drill, each flagged when older than its built-in alert's threshold
 * (`backup_stale`, `backup_drill_stale`), and the latest backups with their size, duration,
 * destinations and verification state. Taking one on demand is `POST /api/backups` (admin).
 */
import { hoursSince, useBackups, type Backup } from "@/dashboard/backups";
import { bytes, compact, dateTime, duration, shortId } from "@/dashboard/format";
import { LoadState, Panel } from "./panel";

function age(hours: number | null, threshold: number | null): { label: string; className: string } {
  if (hours === null) return { label: "never", className: "dash-badge-down" };
  const label =
    hours < 1 ? `${Math.max(1, Math.round(hours * 60))} min ago` : `${hours.toFixed(hours < 10 ? 1 : 0)} h ago`;
  if (threshold !== null && hours > threshold) return { label: `${label} — overdue`, className: "dash-badge-down" };
  return { label, className: "dash-badge-healthy" };
}

function statusBadge(b: Backup): { label: string; className: string } {
  if (b.status === "succeeded" && b.verification === "verified")
    return { label: "verified", className: "dash-badge-healthy" };
  if (b.status === "running") return { label: "running", className: "dash-badge-degraded" };
  if (b.status === "succeeded") return { label: `written, ${b.verification}`, className: "dash-badge-degraded" };
  return { label: b.status, className: "dash-badge-down" };
}

export function BackupsPanel() {
  const resource = useBackups();
  const data = resource.data;
  // Ages as of the answer (data only exists once it came): no clock read during render.
  const now = resource.updatedAt ?? 0;
  const backupAge = age(hoursSince(data?.lastBackup?.finishedAt, now), data?.thresholds.backupHours ?? null);
  const drillAge = age(hoursSince(data?.lastDrill?.finishedAt, now), data?.thresholds.drillHours ?? null);
  return (
    <Panel title="Backups" resources={[resource]} className="dash-backups">
      <LoadState resource={resource} what="backups" />
      {data ? (
        <>
          <dl className="dash-facts">
            <dt>Last verified backup</dt>
            <dd data-backup-age>
              <span className={`dash-badge ${backupAge.className}`}>{backupAge.label}</span>
              {data.lastBackup ? (
                <span className="dash-muted dash-small">
                  {" "}
                  {dateTime(data.lastBackup.finishedAt)}, {compact(data.lastBackup.rows)} rows,{" "}
                  {bytes(data.lastBackup.bytes)}
                </span>
              ) : null}
            </dd>
            <dt>Last successful restore drill</dt>
            <dd data-drill-age>
              <span className={`dash-badge ${drillAge.className}`}>{drillAge.label}</span>
              {data.lastDrill ? (
                <span className="dash-muted dash-small">
                  {" "}
                  {dateTime(data.lastDrill.finishedAt)}, {compact(data.lastDrill.rows)} rows in{" "}
                  {duration(data.lastDrill.durationMs)}
                </span>
              ) : null}
              {data.latestDrill && data.latestDrill.status === "failed" ? (
                <p className="dash-bad dash-small dash-break">Latest drill failed: {data.latestDrill.error}</p>
              ) : null}
            </dd>
          </dl>
          {data.backups.length > 0 ? (
            <div className="dash-table-wrap">
              <table className="dash-table">
                <caption>Latest backups</caption>
                <thead>
                  <tr>
                    <th scope="col">Backup</th>
                    <th scope="col">State</th>
                    <th scope="col">Started</th>
                    <th scope="col">Duration</th>
                    <th scope="col">Rows</th>
                    <th scope="col">Size</th>
                    <th scope="col">Destinations</th>
                  </tr>
                </thead>
                <tbody>
                  {data.backups.map((b) => {
                    const s = statusBadge(b);
                    return (
                      <tr key={b.id} data-backup={b.id}>
                        <td title={b.id}>
                          {shortId(b.id)}
                          <span className="dash-muted dash-small"> {b.trigger}</span>
                        </td>
                        <td>
                          <span className={`dash-badge ${s.className}`}>{s.label}</span>
                          {b.error ? <p className="dash-bad dash-small dash-break">{b.error}</p> : null}
                        </td>
                        <td>{dateTime(b.startedAt)}</td>
                        <td>{duration(b.durationMs)}</td>
                        <td>{compact(b.rows)}</td>
                        <td>{bytes(b.bytes)}</td>
                        <td className="dash-break">
                          {b.destinations
                            .map((d) => `${d.name}${d.prunedAt ? " (removed by retention)" : ""}`)
                            .join(", ")}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          ) : (
            <p className="dash-muted">No backup yet.</p>
          )}
        </>
      ) : null}
    </Panel>
  );
}
