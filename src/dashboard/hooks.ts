"use client";
/**
 * One SWR hook per resource the dashboard reads. Each refreshes every 10 seconds, parses its
 * response with its schema (schemas.ts) and reports, besides the data, when it last arrived and
 * whether it is stale (the latest refresh failed while older data is still shown).
 *
 * Polling while failing: SWR's interval pauses while a key is in error and its default retry
 * backs off exponentially (to minutes), so a dashboard would be slow to notice the API is back.
 * `onErrorRetry` here retries at the same 10-second pace instead, and stops on a 401 (the
 * session ended: retrying cannot help, the page says to sign in again).
 */
import useSWR, { type SWRConfiguration } from "swr";
import type { z } from "zod";
import { DashboardFetchError, getJson, type Fetched } from "./fetcher";
import {
  agentsHealthSchema,
  alertListSchema,
  eventListSchema,
  monitoringSchema,
  outboxSchema,
  runListSchema,
  runSchema,
  seriesSchema,
  shopifyDeliveryListSchema,
  workflowsSchema,
  type RunStatus,
} from "./schemas";

export const REFRESH_MS = 10_000;

export interface Resource<T> {
  data: T | undefined;
  /** When `data` arrived (ms since the epoch). */
  updatedAt: number | null;
  error: DashboardFetchError | undefined;
  /** The latest refresh failed and `data` is older. */
  stale: boolean;
  loading: boolean;
  refresh(): Promise<unknown>;
}

const OPTIONS: SWRConfiguration<Fetched<unknown>, DashboardFetchError> = {
  refreshInterval: REFRESH_MS,
  keepPreviousData: true,
  revalidateOnFocus: true,
  dedupingInterval: 2_000,
  onErrorRetry: (error, _key, _config, revalidate, { retryCount }) => {
    if (error instanceof DashboardFetchError && error.kind === "unauthorized") return;
    setTimeout(() => void revalidate({ retryCount }), REFRESH_MS);
  },
};

function toError(error: unknown): DashboardFetchError {
  return error instanceof DashboardFetchError
    ? error
    : new DashboardFetchError("network", error instanceof Error ? error.message : String(error));
}

/** One resource, polled: also for panels that keep their schema and hook in their own module. */
export function useResource<S extends z.ZodType>(
  key: string | null | readonly unknown[],
  load: () => Promise<Fetched<z.output<S>>>,
  options: SWRConfiguration = {},
): Resource<z.output<S>> {
  const swr = useSWR<Fetched<z.output<S>>, unknown>(key, load, { ...OPTIONS, ...options } as SWRConfiguration<
    Fetched<z.output<S>>,
    unknown
  >);
  const error = swr.error === undefined ? undefined : toError(swr.error);
  return {
    data: swr.data?.value,
    updatedAt: swr.data?.at ?? null,
    error,
    stale: error !== undefined && swr.data !== undefined,
    loading: swr.data === undefined && error === undefined,
    refresh: () => swr.mutate(),
  };
}

const json =
  <S extends z.ZodType>(url: string, schema: S) =>
  () =>
    getJson(url, schema);

export function useAgentsHealth() {
  return useResource<typeof agentsHealthSchema>("/api/health/agents", json("/api/health/agents", agentsHealthSchema));
}

export function useMonitoring() {
  return useResource<typeof monitoringSchema>(
    "/api/system/monitoring",
    json("/api/system/monitoring", monitoringSchema),
  );
}

/** The workflows change rarely: once a minute is enough for the filter's choices. */
export function useWorkflows() {
  return useResource<typeof workflowsSchema>("/api/workflows", json("/api/workflows", workflowsSchema), {
    refreshInterval: 60_000,
  });
}

export interface RunFilter {
  workflow?: string;
  status?: RunStatus;
}

export const RUNS_PAGE = 50;

export function runsUrl(filter: RunFilter): string {
  const params = new URLSearchParams({ limit: String(RUNS_PAGE) });
  if (filter.workflow) params.set("workflow", filter.workflow);
  if (filter.status) params.set("status", filter.status);
  return `/api/orchestration/runs?${params}`;
}

export function useRuns(filter: RunFilter) {
  const url = runsUrl(filter);
  return useResource<typeof runListSchema>(url, json(url, runListSchema));
}

/** One run with its steps; null: none selected (no request). */
export function useRun(id: string | null) {
  const url = id ? `/api/orchestration/runs/${encodeURIComponent(id)}` : null;
  return useResource<typeof runSchema>(url, json(url ?? "", runSchema), { keepPreviousData: false });
}

/** The chart ranges: each with a bucket size that keeps the series between 24 and 72 points. */
export const METRIC_RANGES = {
  "1h": { ms: 3_600_000, bucket: "1m", label: "1 hour" },
  "6h": { ms: 6 * 3_600_000, bucket: "5m", label: "6 hours" },
  "24h": { ms: 24 * 3_600_000, bucket: "1h", label: "24 hours" },
} as const;
export type MetricRange = keyof typeof METRIC_RANGES;

export const AGENT_CALL_METRIC = "agent.call.duration";

export function metricsUrl(agent: string | null, range: MetricRange, now: number): string {
  const { ms, bucket } = METRIC_RANGES[range];
  const params = new URLSearchParams({
    name: AGENT_CALL_METRIC,
    from: new Date(now - ms).toISOString(),
    to: new Date(now).toISOString(),
    bucket,
  });
  if (agent) params.set("agent", agent);
  return `/api/metrics?${params}`;
}

/**
 * An agent's call latency and volume over a range (all agents when `agent` is null). The key
 * names the agent and range, not the times: the window slides to "now" at each refresh.
 */
export function useAgentMetrics(agent: string | null, range: MetricRange) {
  return useResource<typeof seriesSchema>(["metrics", AGENT_CALL_METRIC, agent, range], () =>
    getJson(metricsUrl(agent, range, Date.now()), seriesSchema),
  );
}

export function useActiveAlerts() {
  const url = "/api/alerts?state=active&limit=50";
  return useResource<typeof alertListSchema>(url, json(url, alertListSchema));
}

export function useOutbox() {
  const url = "/api/outbox?limit=20";
  return useResource<typeof outboxSchema>(url, json(url, outboxSchema));
}

/** Shopify deliveries that failed for good (issue 15): what an operator must look at and reprocess. */
export function useFailedShopifyDeliveries() {
  const url = "/api/webhooks/shopify/deliveries?status=failed&limit=20";
  return useResource<typeof shopifyDeliveryListSchema>(url, json(url, shopifyDeliveryListSchema));
}

export function useEvents() {
  const url = "/api/events?order=desc&limit=50";
  return useResource<typeof eventListSchema>(url, json(url, eventListSchema));
}
