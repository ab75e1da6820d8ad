"use client";
/**
 * The client's progress: the server's first state, then `GET /api/projects/<id>?token=` every
 * second with SWR until the project is done, failed or cancelled.
 */
import useSWR from "swr";
import type { ProjectStatus } from "@/projects/service";

const FINAL = new Set(["done", "failed", "cancelled"]);

const OVERALL: Record<string, { title: string; text: string }> = {
  waiting_for_payment: {
    title: "Waiting for your payment",
    text: "We start as soon as Stripe confirms your payment. This page updates by itself.",
  },
  queued: { title: "About to start", text: "Your order is in the queue and starts in a moment." },
  running: {
    title: "Working on your website",
    text: "Each stage below is ticked off as it finishes. This usually takes a minute or two.",
  },
  waiting: {
    title: "Working on your website",
    text: "A stage is waiting before it tries again. There is nothing for you to do.",
  },
  done: { title: "Your website is ready", text: "It is published and checked. We also send you the link by email." },
  failed: {
    title: "We could not finish your website",
    text: "Our team has been alerted and will get back to you by email.",
  },
  cancelled: { title: "This order was cancelled", text: "Nothing more will be done for it." },
};

const STAGE_STATUS: Record<string, string> = {
  pending: "Not started",
  queued: "Starting",
  running: "In progress",
  waiting: "Waiting to retry",
  done: "Done",
  failed: "Failed",
  skipped: "Skipped",
  cancelled: "Cancelled",
};

async function fetchStatus(url: string): Promise<ProjectStatus> {
  const res = await fetch(url, { cache: "no-store", headers: { accept: "application/json" } });
  if (!res.ok)
    throw new Error(
      res.status === 404 ? "This project no longer exists." : `The progress could not be read (HTTP ${res.status}).`,
    );
  return (await res.json()) as ProjectStatus;
}

/** "0.04 s", "1.5 s", "12.3 s": two decimals under a second, so a fast stage does not read "0.0 s". */
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 1000 ? 2 : 1)} s`;

/** The campaigns' names and headlines, read defensively (the status types them as unknown). */
function campaignDrafts(campaigns: unknown[] | null): { name: string; headlines: string[] }[] {
  return (campaigns ?? []).map((c, i) => {
    const { name, headlines } = (c ?? {}) as { name?: unknown; headlines?: unknown };
    return {
      name: typeof name === "string" && name ? name : `Campaign ${i + 1}`,
      headlines: Array.isArray(headlines) ? headlines.filter((h): h is string => typeof h === "string") : [],
    };
  });
}

function totalDuration(status: ProjectStatus): number | null {
  const starts = status.stages.map((s) => s.startedAt).filter((t): t is string => Boolean(t));
  const ends = status.stages.map((s) => s.finishedAt).filter((t): t is string => Boolean(t));
  if (!starts.length || !ends.length) return null;
  return Math.max(...ends.map((t) => Date.parse(t))) - Math.min(...starts.map((t) => Date.parse(t)));
}

function Result({ status }: { status: ProjectStatus }) {
  const drafts = campaignDrafts(status.campaigns);
  const total = totalDuration(status);
  return (
    <section className="card result" aria-labelledby="result-heading">
      <h2 id="result-heading">Your website</h2>
      {status.site ? (
        <>
          <p>
            <a className="button button-primary" href={status.site.path}>
              Open your website
            </a>
          </p>
          <p className="muted">
            Address: <span className="break">{status.site.url}</span>
            {total !== null ? <> · built in {seconds(total)}</> : null}
          </p>
        </>
      ) : null}
      {status.qa ? (
        <>
          <h3>Quality report</h3>
          <p>
            Score <strong>{status.qa.score}/100</strong>{" "}
            <span className={status.qa.passed ? "badge badge-ok" : "badge badge-warn"}>
              {status.qa.passed ? "Passed" : "Not passed"}
            </span>
          </p>
        </>
      ) : null}
      {status.campaigns ? (
        <>
          <h3>Ad campaign drafts</h3>
          <details className="campaigns">
            <summary>
              {drafts.length} campaign {drafts.length === 1 ? "draft" : "drafts"}, ready for your review
            </summary>
            {drafts.map((draft, i) => (
              <div key={i} className="campaign">
                <h4>{draft.name}</h4>
                <ul>
                  {draft.headlines.map((headline) => (
                    <li key={headline}>{headline}</li>
                  ))}
                </ul>
              </div>
            ))}
          </details>
        </>
      ) : null}
    </section>
  );
}

export function ProjectProgress({ id, token, initial }: { id: string; token: string; initial: ProjectStatus }) {
  const { data, error } = useSWR(
    `/api/projects/${encodeURIComponent(id)}?token=${encodeURIComponent(token)}`,
    fetchStatus,
    {
      fallbackData: initial,
      refreshInterval: (latest) => (latest && FINAL.has(latest.status) ? 0 : 1000),
      revalidateOnFocus: false,
      keepPreviousData: true,
    },
  );
  const status = data ?? initial;
  const final = FINAL.has(status.status);
  const overall = OVERALL[status.status] ?? { title: status.status, text: "" };
  const doneCount = status.stages.filter((s) => s.status === "done").length;

  return (
    <>
      <header className="page-header">
        <p className="eyebrow">
          Website order{status.testMode ? <span className="badge badge-test">Test mode</span> : null}
        </p>
        <h1>{status.businessName || "Your website"}</h1>
      </header>

      <section className={`card overall overall-${status.status}`} aria-labelledby="status-heading">
        <div role="status">
          <h2 id="status-heading">{overall.title}</h2>
          <p>{overall.text}</p>
          {/* A failed run's `error` is a neutral sentence (service.ts), already said by the "failed" text above. */}
        </div>
        <div className="progress-row">
          <progress max={status.stages.length} value={doneCount} aria-labelledby="progress-label" />
          <span id="progress-label">
            {doneCount} of {status.stages.length} stages done
          </span>
        </div>
        {error && !final ? (
          <p className="muted">
            We could not refresh the progress just now ({error instanceof Error ? error.message : "network error"});
            trying again.
          </p>
        ) : null}
        {!final ? (
          <noscript>
            <p className="muted">
              This page updates by itself with JavaScript. Without it,{" "}
              <a href={`?token=${encodeURIComponent(token)}`}>reload the page</a> to see the latest progress.
            </p>
          </noscript>
        ) : null}
      </section>

      {status.status === "done" ? <Result status={status} /> : null}

      <section className="card" aria-labelledby="stages-heading">
        <h2 id="stages-heading">Stages</h2>
        <ol className="stages">
          {status.stages.map((stage) => (
            <li key={stage.key} className={`stage stage-${stage.status}`}>
              <span className="stage-mark" aria-hidden="true" />
              <span className="stage-label">{stage.label}</span>
              <span className="stage-status">
                {STAGE_STATUS[stage.status] ?? stage.status}
                {stage.status === "done" && stage.durationMs !== null ? (
                  <span className="stage-duration"> · {seconds(stage.durationMs)}</span>
                ) : null}
              </span>
              {stage.error ? <p className="stage-error">{stage.error}</p> : null}
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}
