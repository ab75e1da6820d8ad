"use client";
/**
 * The dashboard itself: every panel, each fed by its own SWR hook (src/dashboard/hooks.ts), all
 * refreshing every 10 seconds. Only rendered for a valid session (page.tsx); `canAct` (operator
 * or admin) decides whether the action buttons exist at all, and the API checks the role again.
 */
import { useEffect, useState } from "react";
import {
  useActiveAlerts,
  useAgentsHealth,
  useEvents,
  useFailedShopifyDeliveries,
  useMonitoring,
  useOutbox,
  useRun,
  useRuns,
  useWorkflows,
  type RunFilter,
} from "@/dashboard/hooks";
import { AlertsPanel } from "./alerts-panel";
import { BackupsPanel } from "./backups-panel";
import { CachePanel } from "./cache-panel";
import { ChartsPanel } from "./charts-panel";
import { EventsPanel } from "./events-panel";
import { GatewayTuningPanel } from "./gateway-tuning-panel";
import { HealthPanel } from "./health-panel";
import { OutboxPanel } from "./outbox-panel";
import { RetentionPanel } from "./retention-panel";
import { RunDetail } from "./run-detail";
import { RunsPanel } from "./runs-panel";
import { ShopifyDeliveriesPanel } from "./shopify-deliveries-panel";
import { SystemPanel } from "./system-panel";

/** The current time, ticking: running bars and durations grow between refreshes. */
function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

export function Dashboard({ canAct }: { canAct: boolean }) {
  const now = useNow(1_000);
  const agents = useAgentsHealth();
  const monitoring = useMonitoring();
  const workflows = useWorkflows();
  const alerts = useActiveAlerts();
  const outbox = useOutbox();
  const events = useEvents();
  const shopifyFailed = useFailedShopifyDeliveries();
  const [filter, setFilter] = useState<RunFilter>({});
  const [search, setSearch] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  const runs = useRuns(filter);
  const run = useRun(selected);

  const signedOut = [agents, monitoring, alerts, runs].some((r) => r.error?.kind === "unauthorized");
  const agentNames = agents.data?.agents.map((a) => a.name) ?? [];
  const workflowNames = workflows.data?.workflows.map((w) => w.name) ?? [];

  return (
    <div className="dash-body">
      {signedOut ? (
        <p className="dash-banner dash-banner-error" role="alert">
          Your session has ended (it expired, or its key was revoked).{" "}
          <a href="/core-platform-dashboard">Sign in again</a>.
        </p>
      ) : null}
      <div className="dash-grid dash-grid-top">
        <HealthPanel agents={agents} monitoring={monitoring} />
        <SystemPanel monitoring={monitoring} />
        <AlertsPanel alerts={alerts} canAct={canAct} />
      </div>
      <div className={selected ? "dash-grid dash-grid-runs dash-grid-runs-open" : "dash-grid dash-grid-runs"}>
        <RunsPanel
          runs={runs}
          workflows={workflowNames}
          filter={filter}
          onFilter={setFilter}
          search={search}
          onSearch={setSearch}
          selected={selected}
          onSelect={setSelected}
          now={now}
        />
        {selected ? (
          <RunDetail
            key={selected}
            run={run}
            canAct={canAct}
            now={now}
            onClose={() => setSelected(null)}
            onChanged={runs.refresh}
          />
        ) : null}
      </div>
      <ChartsPanel agents={agentNames} />
      <GatewayTuningPanel />
      <CachePanel />
      <RetentionPanel />
      <BackupsPanel />
      <div className="dash-grid dash-grid-bottom">
        <OutboxPanel outbox={outbox} />
        <EventsPanel events={events} />
      </div>
      <ShopifyDeliveriesPanel deliveries={shopifyFailed} canAct={canAct} />
    </div>
  );
}
