/**
 * An agent's health probe: what the agent really needs, checked the same way whichever transport
 * asks (in process for `inline`, `GET /api/agents/<agent>/health` for `http`, both calling
 * `probeAgent`).
 *
 * Every agent gets the database check (every call to an agent's route reads or writes it: the
 * replay guard, the audit, the actions' own tables). An agent adds its own checks in its
 * `health` list (src/agents/<agent>/index.ts); the checks themselves are in probe-checks.ts.
 *
 * Decisions:
 * - A failing database makes the agent `down`; a failing provider check makes it `degraded`
 *   (the check says which with `failure`): the agent still answers, but part of its work fails
 *   or falls back (templates without a model, no email).
 * - A provider that is not configured is `skipped`, not a failure: the agents are useful without
 *   any of them (PRODUCT.md §1). A provider configured half-way, or malformed, is a failure.
 * - Checks that go over the network (SMTP, the supplier) are remembered for CHECK_CACHE_MS per
 *   configuration, so the dashboard's polling (every 10 s) and the alert evaluator do not turn
 *   into a stream of connections; a changed configuration is checked afresh.
 * - A check never spends money nor sends anything (no mail, no Slack message, no paid API call),
 *   and its `detail` never holds a secret: it names variables and error codes, never values.
 */
import type { Db } from "@/db/client";
import { log } from "@/observability/log";

export type ProbeStatus = "ok" | "degraded" | "down";
export type CheckStatus = ProbeStatus | "skipped";

export interface CheckResult {
  status: CheckStatus;
  /** Why it failed or was skipped, in plain words; never a secret. */
  detail?: string;
}

export interface CheckContext {
  db: Db;
  signal: AbortSignal;
}

export interface HealthCheck {
  /** Short and stable: `database`, `smtp`, `supplier`… */
  name: string;
  /** What a failure of this check makes the agent. */
  failure: "degraded" | "down";
  /**
   * When set, results are remembered for CHECK_CACHE_MS under this key (a digest of the
   * configuration the check depends on); checks without it run on every probe.
   */
  cacheKey?: () => string;
  run(ctx: CheckContext): Promise<CheckResult>;
}

export interface CheckReport {
  name: string;
  status: CheckStatus;
  latencyMs: number;
  detail?: string;
}

export interface AgentProbe {
  agent: string;
  status: ProbeStatus;
  checks: CheckReport[];
  checkedAt: string;
}

/** One check never takes longer than this (below the health route's 5 s probe timeout). */
export const CHECK_TIMEOUT_MS = 3_000;
/** How long a networked check's result is reused by the same process. */
export const CHECK_CACHE_MS = 30_000;

const elapsed = (started: number) => Math.round((performance.now() - started) * 10) / 10;

async function runWithTimeout(check: HealthCheck, db: Db): Promise<CheckResult> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ status: check.failure, detail: `no answer within ${CHECK_TIMEOUT_MS / 1000} s` });
    }, CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([
      check.run({ db, signal: controller.signal }).catch((error: unknown): CheckResult => {
        // A check maps the failures it expects to a detail; anything else is logged, not shown.
        log.warn("agent health check failed unexpectedly", { check: check.name, error });
        return { status: check.failure, detail: "the check failed (see the logs)" };
      }),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const cache = new Map<string, { at: number; result: Promise<CheckResult> }>();

async function runCheck(check: HealthCheck, db: Db): Promise<CheckReport> {
  const started = performance.now();
  let result: CheckResult;
  const key = check.cacheKey ? `${check.name}\u0000${check.cacheKey()}` : undefined;
  if (key) {
    const now = performance.now();
    const cached = cache.get(key);
    if (!cached || now - cached.at >= CHECK_CACHE_MS) {
      // Expired entries go first: a configuration that keeps changing cannot grow the map.
      for (const [k, entry] of cache) if (now - entry.at >= CHECK_CACHE_MS) cache.delete(k);
      cache.set(key, { at: now, result: runWithTimeout(check, db) });
    }
    result = await cache.get(key)!.result;
  } else {
    result = await runWithTimeout(check, db);
  }
  // A check may only fail as badly as declared: a provider cannot take the agent down.
  const status: CheckStatus = result.status === "ok" || result.status === "skipped" ? result.status : check.failure;
  return { name: check.name, status, latencyMs: elapsed(started), ...(result.detail ? { detail: result.detail } : {}) };
}

/** Forgets remembered check results (tests; after changing the configuration in process). */
export function clearProbeCache(): void {
  cache.clear();
}

/** Runs the checks in parallel; the worst failure is the probe's status. */
export async function runProbe(agent: string, checks: readonly HealthCheck[], db: Db): Promise<AgentProbe> {
  const reports = await Promise.all(checks.map((check) => runCheck(check, db)));
  const status: ProbeStatus = reports.some((r) => r.status === "down")
    ? "down"
    : reports.some((r) => r.status === "degraded")
      ? "degraded"
      : "ok";
  return { agent, status, checks: reports, checkedAt: new Date().toISOString() };
}

/** The failed checks in one line, for the dashboard: `smtp: connection refused (ECONNREFUSED)`. */
export function probeFailures(probe: AgentProbe): string | undefined {
  const failed = probe.checks.filter((c) => c.status === "degraded" || c.status === "down");
  return failed.length === 0 ? undefined : failed.map((c) => `${c.name}: ${c.detail ?? c.status}`).join("; ");
}
