"use client";
/**
 * One run: its head, its step timeline, and each step's input, output, error and attempts.
 * Operators get Cancel (an unfinished run) and Retry (a failed run); a refusal, such as the 409
 * of a run that ended meanwhile, is shown as a message.
 */
import { dateTime, duration, prettyJson, shortId } from "@/dashboard/format";
import type { Resource } from "@/dashboard/hooks";
import { runSchema, type Run, type Step } from "@/dashboard/schemas";
import { useAction } from "@/dashboard/use-action";
import { ActionButton } from "./action-button";
import { ActionMessage } from "./action-message";
import { LoadState, Panel } from "./panel";
import { StepTimeline } from "./step-timeline";

const UNFINISHED = new Set(["queued", "running", "waiting"]);

function Json({ label, value }: { label: string; value: unknown }) {
  if (value === null || value === undefined) return null;
  return (
    <div className="dash-json">
      <h5>{label}</h5>
      <pre>{prettyJson(value)}</pre>
    </div>
  );
}

/** The engine marks a step its agent's answer came from the result cache: `progress.cache = "hit"`. */
function servedFromCache(progress: unknown): boolean {
  return typeof progress === "object" && progress !== null && (progress as { cache?: unknown }).cache === "hit";
}

function StepDetail({ step }: { step: Step }) {
  return (
    <li className={`dash-step dash-step-${step.status}`} data-step={step.name}>
      <details>
        <summary>
          <span className="dash-step-name">{step.name}</span>
          <span className="dash-muted">{step.kind}</span>
          <span className={`dash-badge dash-status dash-status-${step.status}`}>{step.status}</span>
          {servedFromCache(step.progress) ? (
            <span className="dash-badge dash-badge-plain" title="Answered from the agents' result cache">
              cache hit
            </span>
          ) : null}
          <span className="dash-muted dash-small">
            {step.attempts} attempt{step.attempts === 1 ? "" : "s"}
          </span>
        </summary>
        <div className="dash-step-body">
          <Json label="Input" value={step.input} />
          <Json label="Output" value={step.output} />
          <Json label="Error" value={step.error} />
          {step.history.length > 0 ? (
            <div className="dash-table-wrap">
              <table className="dash-table">
                <caption>Attempts</caption>
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Started</th>
                    <th scope="col">Duration</th>
                    <th scope="col">Error</th>
                  </tr>
                </thead>
                <tbody>
                  {step.history.map((a) => (
                    <tr key={a.attempt + a.outcome + (a.startedAt ?? "")}>
                      <td>{a.attempt}</td>
                      <td>{a.outcome}</td>
                      <td>{dateTime(a.startedAt)}</td>
                      <td className="dash-num">{duration(a.durationMs)}</td>
                      <td className="dash-break">
                        {a.error === null || a.error === undefined ? "—" : prettyJson(a.error, 500)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p className="dash-muted dash-small">No attempt has finished yet.</p>
          )}
          {step.items && step.items.length > 0 ? (
            <p className="dash-muted dash-small">{step.items.length} items (each on the timeline).</p>
          ) : null}
        </div>
      </details>
    </li>
  );
}

export function RunDetail({
  run,
  canAct,
  now,
  onClose,
  onChanged,
}: {
  run: Resource<Run>;
  canAct: boolean;
  now: number;
  onClose(): void;
  onChanged(): Promise<unknown>;
}) {
  const action = useAction();
  const r = run.data;
  const refreshBoth = () => Promise.all([run.refresh(), onChanged()]);
  const act = (verb: "cancel" | "retry") =>
    r &&
    action.run(
      verb,
      `/api/orchestration/runs/${encodeURIComponent(r.id)}/${verb}`,
      runSchema,
      verb === "cancel" ? "Run cancelled." : "Run retried: its failed steps are queued again.",
      refreshBoth,
    );
  const runtime = r?.startedAt ? (r.finishedAt ? Date.parse(r.finishedAt) : now) - Date.parse(r.startedAt) : null;
  return (
    <Panel
      title={r ? `Run ${shortId(r.id)}` : "Run"}
      resources={[run]}
      className="dash-detail"
      actions={
        <button type="button" className="dash-button dash-button-quiet" onClick={onClose}>
          Close
        </button>
      }
    >
      <LoadState resource={run} what="the run" />
      {r ? (
        <div data-run-detail={r.id} data-status={r.status}>
          <dl className="dash-facts dash-run-facts">
            <div>
              <dt>Status</dt>
              <dd>
                <span className={`dash-badge dash-status dash-status-${r.status}`}>{r.status}</span>
              </dd>
            </div>
            <div>
              <dt>Workflow</dt>
              <dd>
                {r.workflow} v{r.version}
              </dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>{dateTime(r.createdAt)}</dd>
            </div>
            <div>
              <dt>Duration</dt>
              <dd>{duration(runtime)}</dd>
            </div>
            <div className="dash-wide">
              <dt>Id</dt>
              <dd>
                <code className="dash-break">{r.id}</code>
              </dd>
            </div>
          </dl>
          {canAct ? (
            <div className="dash-actions">
              {UNFINISHED.has(r.status) ? (
                <ActionButton
                  pending={action.pending}
                  actionKey="cancel"
                  busy="Cancelling…"
                  onClick={() => act("cancel")}
                  className="dash-button dash-button-danger"
                >
                  Cancel run
                </ActionButton>
              ) : null}
              {r.status === "failed" ? (
                <ActionButton
                  pending={action.pending}
                  actionKey="retry"
                  busy="Retrying…"
                  onClick={() => act("retry")}
                  className="dash-button dash-button-primary"
                >
                  Retry run
                </ActionButton>
              ) : null}
            </div>
          ) : null}
          <ActionMessage message={action.message} />
          <Json label="Run error" value={r.error} />
          <h3 className="dash-subhead">Timeline</h3>
          <StepTimeline steps={r.steps} now={now} />
          <h3 className="dash-subhead">Steps</h3>
          <ol className="dash-steps">
            {r.steps.map((s) => (
              <StepDetail key={s.name} step={s} />
            ))}
          </ol>
        </div>
      ) : null}
    </Panel>
  );
}
