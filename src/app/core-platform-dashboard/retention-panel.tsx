"use client";
/**
 * Retention (issue 17): per pruned table, its retention and the environment
 * variable that sets it, and its last pass: when, how long, rows deleted (and those deleted with
 * them: a run's steps and attempts), the oldest row left, and whether it is caught up. A table
 * more than the `retention_behind` rule's margin (6 h by default) behind is flagged as on the
 * alerts; why a table keeps rows past its cutoff (events held by an unfinished run) is said.
 */
import { compact, dateTime, duration } from "@/dashboard/format";
import { useRetention, type RetentionTable } from "@/dashboard/retention";
import { LoadState, Panel } from "./panel";

/** The built-in rule's default margin, in hours. */
const BEHIND_FLAG_HOURS = 6;

function retention(days: number | null): string {
  if (days === null) return "kept forever";
  if (days === 0) return "until expiry";
  if (days < 1) return `${+(days * 24).toFixed(1)} h`;
  if (days >= 365 && days % 365 < 2) return `${Math.floor(days / 365)} years (${compact(days)} d)`;
  return `${+days.toFixed(1)} d`;
}

function state(t: RetentionTable): { label: string; className: string } {
  if (t.lastError) return { label: "error", className: "dash-badge-down" };
  if (!t.lastRunAt) return { label: "not run yet", className: "dash-badge-plain" };
  if (t.behindHours > BEHIND_FLAG_HOURS) return { label: `${t.behindHours} h behind`, className: "dash-badge-down" };
  if (!t.caughtUp) return { label: "catching up", className: "dash-badge-degraded" };
  return { label: "caught up", className: "dash-badge-healthy" };
}

function deleted(t: RetentionTable): string {
  const extra = Object.entries(t.lastDetail ?? {})
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${compact(n)} ${what}`);
  return `${compact(t.lastDeleted)}${extra.length > 0 ? ` (+ ${extra.join(", ")})` : ""}`;
}

export function RetentionPanel() {
  const status = useRetention();
  const tables = status.data?.tables ?? [];
  return (
    <Panel title="Retention" resources={[status]} className="dash-retention">
      <LoadState resource={status} what="retention" />
      {tables.length > 0 ? (
        <div className="dash-table-wrap">
          <table className="dash-table">
            <caption>
              Last pass per table (every 2 s while there is something to delete, else every minute; at most{" "}
              {duration(status.data?.passBudgetMs ?? null)} of deleting each)
            </caption>
            <thead>
              <tr>
                <th scope="col">Table</th>
                <th scope="col">Retention</th>
                <th scope="col">State</th>
                <th scope="col">Last pass</th>
                <th scope="col">Deleted</th>
                <th scope="col">Total</th>
                <th scope="col">Oldest row left</th>
              </tr>
            </thead>
            <tbody>
              {tables.map((t) => {
                const s = state(t);
                return (
                  <tr key={t.table} data-retention-table={t.table}>
                    <td className="dash-break" title={t.why}>
                      {t.table}
                      <span className="dash-muted dash-small"> {t.label}</span>
                    </td>
                    <td title={t.setting ? `set by ${t.setting}` : "fixed"}>
                      {retention(t.retentionDays)}
                      {t.setting ? <span className="dash-muted dash-small"> {t.setting}</span> : null}
                    </td>
                    <td>
                      <span className={`dash-badge ${s.className}`}>{s.label}</span>
                      {t.lastError ? <p className="dash-bad dash-small dash-break">{t.lastError}</p> : null}
                      {t.note ? <p className="dash-muted dash-small dash-break">{t.note}</p> : null}
                    </td>
                    <td className="dash-num">
                      {dateTime(t.lastRunAt)}
                      {t.lastDurationMs === null ? null : (
                        <span className="dash-muted dash-small"> {duration(t.lastDurationMs)}</span>
                      )}
                    </td>
                    <td className="dash-num">{t.lastRunAt ? deleted(t) : "—"}</td>
                    <td className="dash-num">{compact(t.totalDeleted)}</td>
                    <td className="dash-num">{dateTime(t.oldestAt)}</td>
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
