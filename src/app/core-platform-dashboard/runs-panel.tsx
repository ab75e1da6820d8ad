"use client";
/**
 * The runs: filtered by workflow and status (server-side, through the API's query), searched by
 * id (a full id opens that run even if it is not on this page; a shorter text narrows the list
 * shown), newest first. Choosing a run opens its detail.
 */
import { useId } from "react";
import { dateTime, duration, shortId } from "@/dashboard/format";
import type { Resource, RunFilter } from "@/dashboard/hooks";
import { RUN_STATUSES, type RunStatus, type RunSummary } from "@/dashboard/schemas";
import { LoadState, Panel } from "./panel";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isFullRunId(text: string): boolean {
  return UUID.test(text.trim());
}

function runDuration(run: RunSummary, now: number): string {
  if (!run.startedAt) return "—";
  const end = run.finishedAt ? Date.parse(run.finishedAt) : now;
  return duration(end - Date.parse(run.startedAt));
}

export function RunsPanel({
  runs,
  workflows,
  filter,
  onFilter,
  search,
  onSearch,
  selected,
  onSelect,
  now,
}: {
  runs: Resource<{ runs: RunSummary[]; nextCursor: string | null }>;
  workflows: string[];
  filter: RunFilter;
  onFilter(filter: RunFilter): void;
  search: string;
  onSearch(text: string): void;
  selected: string | null;
  onSelect(id: string): void;
  now: number;
}) {
  const id = useId();
  const needle = search.trim().toLowerCase();
  const list = (runs.data?.runs ?? []).filter((r) => !needle || r.id.toLowerCase().includes(needle));
  return (
    <Panel title="Runs" resources={[runs]} className="dash-runs">
      <form
        className="dash-filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          if (isFullRunId(search)) onSelect(search.trim().toLowerCase());
        }}
      >
        <div className="dash-control">
          <label htmlFor={`${id}-wf`}>Workflow</label>
          <select
            id={`${id}-wf`}
            value={filter.workflow ?? ""}
            onChange={(e) => onFilter({ ...filter, workflow: e.target.value || undefined })}
          >
            <option value="">All workflows</option>
            {workflows.map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </div>
        <div className="dash-control">
          <label htmlFor={`${id}-status`}>Status</label>
          <select
            id={`${id}-status`}
            value={filter.status ?? ""}
            onChange={(e) => onFilter({ ...filter, status: (e.target.value || undefined) as RunStatus | undefined })}
          >
            <option value="">All statuses</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="dash-control dash-control-grow">
          <label htmlFor={`${id}-search`}>Run id</label>
          <input
            id={`${id}-search`}
            type="search"
            inputMode="search"
            autoComplete="off"
            spellCheck={false}
            placeholder="Search by id (a full id opens it)"
            value={search}
            onChange={(e) => onSearch(e.target.value)}
          />
        </div>
      </form>
      <LoadState resource={runs} what="the runs" />
      {runs.data ? (
        list.length === 0 ? (
          <p className="dash-muted">
            {needle ? "No run on this page matches this id." : "No runs match these filters."}
          </p>
        ) : (
          <ul className="dash-run-list" aria-label="Runs, newest first">
            {list.map((r) => (
              <li key={r.id} data-run-id={r.id} data-status={r.status}>
                <button
                  type="button"
                  className="dash-run-row"
                  aria-current={r.id === selected ? "true" : undefined}
                  onClick={() => onSelect(r.id)}
                  title={r.id}
                >
                  <span className="dash-run-id">
                    <code>{shortId(r.id)}</code>
                  </span>
                  <span className="dash-run-wf">{r.workflow}</span>
                  <span className={`dash-badge dash-status dash-status-${r.status}`}>{r.status}</span>
                  <span className="dash-run-time dash-muted">{dateTime(r.createdAt)}</span>
                  <span className="dash-run-dur dash-num">{runDuration(r, now)}</span>
                </button>
              </li>
            ))}
          </ul>
        )
      ) : null}
      {runs.data?.nextCursor ? (
        <p className="dash-footnote">
          Showing the newest {runs.data.runs.length}; narrow the filters or search a full id to find older runs.
        </p>
      ) : null}
    </Panel>
  );
}
