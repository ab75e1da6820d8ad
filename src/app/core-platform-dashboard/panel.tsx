"use client";
/**
 * A dashboard panel: a titled section that says how fresh its data is. When a refresh fails
 * while older data is shown, the panel keeps the data and is marked stale ("Stale — last updated
 * hh:mm:ss", in the warning style, the whole panel dimmed by a hatched border) so nobody mistakes
 * old numbers for live ones. Without any data yet, the error itself is shown.
 */
import { useId, type ReactNode } from "react";
import type { Resource } from "@/dashboard/hooks";
import { clockTime } from "@/dashboard/format";

export function Freshness({
  resource,
}: {
  resource: Pick<Resource<unknown>, "stale" | "error" | "updatedAt" | "loading">;
}) {
  if (resource.stale && resource.updatedAt !== null) {
    return (
      <p className="dash-fresh dash-stale" role="status" title={resource.error?.message}>
        <span aria-hidden="true">⚠ </span>Stale — last updated {clockTime(resource.updatedAt)}
      </p>
    );
  }
  if (resource.updatedAt !== null) return <p className="dash-fresh">Updated {clockTime(resource.updatedAt)}</p>;
  return null;
}

export function LoadState({
  resource,
  what,
}: {
  resource: Pick<Resource<unknown>, "error" | "loading" | "data">;
  what: string;
}) {
  if (resource.data !== undefined) return null;
  if (resource.error) {
    return (
      <p className="dash-load-error" role="alert">
        Could not load {what}: {resource.error.message}
      </p>
    );
  }
  return <p className="dash-muted">Loading {what}…</p>;
}

export function Panel({
  title,
  resources,
  className,
  actions,
  children,
}: {
  title: string;
  /** The resources this panel shows; it is stale when any of them is. */
  resources: Pick<Resource<unknown>, "stale" | "error" | "updatedAt" | "loading">[];
  className?: string;
  actions?: ReactNode;
  children: ReactNode;
}) {
  const id = useId();
  const stale = resources.find((r) => r.stale);
  const shown =
    stale ??
    resources.reduce<(typeof resources)[number] | undefined>(
      (oldest, r) =>
        r.updatedAt !== null && (!oldest || oldest.updatedAt === null || r.updatedAt < oldest.updatedAt) ? r : oldest,
      undefined,
    );
  return (
    <section
      className={`dash-panel ${stale ? "dash-panel-stale" : ""} ${className ?? ""}`}
      aria-labelledby={`${id}-title`}
      data-stale={stale ? "true" : "false"}
    >
      <header className="dash-panel-head">
        <h2 id={`${id}-title`}>{title}</h2>
        {shown ? <Freshness resource={shown} /> : null}
        {actions ? <div className="dash-panel-actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}
