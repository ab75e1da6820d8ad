/**
 * `GET /api/health`: the database (a `select 1` round trip), whether the app can call itself
 * (`selfCall`: the kick path, the http agent transport), and whether every file of `workflows/`
 * is registered as its latest version (`workflows`).
 *
 * Status: `down` (HTTP 503) only when the database is down; `degraded` when the database is slow,
 * a self-call fails, or a workflow file is missing or stale. The self-call and workflow checks
 * are cached per process for CHECK_CACHE_MS, so this public route cannot be used to amplify
 * traffic into the app or the database.
 */
import { createHash } from "node:crypto";
import { desc, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { workflowDefinitions } from "@/db/schema";
import { ConfigError, getSecret, readEnv } from "@/env";
// Only the pure definition layer: this route must not load the agents (cold start), see comparable().
import {
  DefinitionError,
  canonicalJson,
  loadWorkflowFiles,
  type StepDefinition,
  type WorkflowDefinition,
} from "@/engine/definition";
import { usesTickRoute } from "@/engine/kick";
import { isDatabaseUnreachable } from "@/db/errors";
import { SelfCallUnavailable, selfFetch, selfOrigin } from "@/integrations/self-call";
import { readLimitedText } from "@/util/read-limited";
import { log } from "@/observability/log";
import pkg from "../../package.json";

/** Above this database round trip the platform reports itself degraded. */
const DEGRADED_LATENCY_MS = 1_000;
/** A health check never waits longer than this for the database, nor for a self-call. */
const CHECK_TIMEOUT_MS = 3_000;
/** The self-call may wake a cold function on Vercel (the health route's maxDuration is 10 s). */
const SELF_CALL_TIMEOUT_MS = 5_000;
/** The self-call and workflow checks are reused this long by the same process. */
export const CHECK_CACHE_MS = 30_000;
/** The cheap authenticated route the self-call check calls (withCron: it also proves CRON_SECRET matches). */
export const SELF_CHECK_PATH = "/api/health/self";
/** Where the workflow files live (relative to the working directory, as at registration). */
const WORKFLOWS_DIR = "workflows";

export type HealthStatus = "ok" | "degraded" | "down";

export interface DatabaseCheck {
  status: HealthStatus;
  latencyMs: number | null;
  error?: string;
}

/**
 * `skipped` where the app never calls itself (locally: in-process workers and inline agents).
 * `url` is the origin only; `error` is in plain words and never holds a secret.
 */
export interface SelfCallCheck {
  status: "ok" | "down" | "skipped";
  latencyMs?: number | null;
  url?: string | null;
  error?: string;
}

/** `missing`: files whose workflow is not registered; `stale`: registered, but the latest version differs from the file. */
export interface WorkflowsCheck {
  status: "ok" | "down";
  files: number;
  missing: string[];
  stale: string[];
  error?: string;
}

export interface HealthReport {
  status: HealthStatus;
  checks: { database: DatabaseCheck; selfCall: SelfCallCheck; workflows: WorkflowsCheck };
  version: string;
}

export function appVersion(): string {
  const commit = process.env.VERCEL_GIT_COMMIT_SHA?.slice(0, 7);
  return commit ? `${pkg.version}+${commit}` : pkg.version;
}

const elapsed = (started: number) => Math.round((performance.now() - started) * 10) / 10;

/** `promise`, or a rejection after `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Measures a `select 1` round trip; a failure or a timeout means the database is down. */
async function checkDatabase(getDb: () => Promise<Db>): Promise<{ check: DatabaseCheck; db?: Db }> {
  const started = performance.now();
  try {
    const db = await withTimeout(
      getDb().then(async (db) => (await db.execute(sql`select 1`), db)),
      CHECK_TIMEOUT_MS,
      "database check",
    );
    const latencyMs = elapsed(started);
    return { check: { status: latencyMs > DEGRADED_LATENCY_MS ? "degraded" : "ok", latencyMs }, db };
  } catch (error) {
    log.warn("health check: database unreachable", { error, unreachable: isDatabaseUnreachable(error) });
    return { check: { status: "down", latencyMs: null, error: "The database did not answer." } };
  }
}

/**
 * True where the app calls its own routes: serverless ticks (kicks), or the http agent transport
 * (the rule of agents/transport.ts agentTransport(), restated so this route does not load the agents).
 */
export function callsItself(): boolean {
  if (usesTickRoute()) return true;
  const env = readEnv();
  return (env.AGENT_TRANSPORT ?? (env.VERCEL ? "http" : "inline")) === "http";
}

/** What a refused self-call means, in plain words (no secret, no path beyond the origin). */
function refusal(status: number, body: string | null, origin: string, location: string | null): string {
  const ours = (() => {
    try {
      return typeof (JSON.parse(body ?? "") as { error?: { code?: unknown } }).error?.code === "string";
    } catch {
      return false;
    }
  })();
  const bypassSet = Boolean(process.env.VERCEL_AUTOMATION_BYPASS_SECRET?.trim());
  if ((status === 401 || status === 403) && ours) {
    return `status ${status} from the app at ${origin}: it refused this deployment's CRON_SECRET (the base URL names another deployment, or the secrets differ).`;
  }
  if (status === 401 || status === 403) {
    return (
      `status ${status} from ${origin} before the request reached the app (Vercel Deployment Protection?): ` +
      (bypassSet
        ? "VERCEL_AUTOMATION_BYPASS_SECRET is set but was not accepted; copy the current Protection Bypass for Automation secret of the project."
        : "set VERCEL_AUTOMATION_BYPASS_SECRET to the project's Protection Bypass for Automation secret.")
    );
  }
  if (status >= 300 && status < 400) {
    let target = "elsewhere";
    try {
      if (location) target = new URL(location, origin).origin;
    } catch {
      // an unparsable Location: say "elsewhere"
    }
    return `status ${status}: ${origin} redirects to ${target}; self-calls must reach the app without a redirect (check PUBLIC_BASE_URL).`;
  }
  if (status === 404)
    return `status 404: ${origin} does not serve this app's ${SELF_CHECK_PATH} (PUBLIC_BASE_URL names another site, or an older deployment).`;
  return `status ${status} from ${origin}.`;
}

/** Calls SELF_CHECK_PATH on the base URL through the self-call module, within SELF_CALL_TIMEOUT_MS. */
async function probeSelf(): Promise<SelfCallCheck> {
  const origin = selfOrigin() ?? null;
  const started = performance.now();
  try {
    const res = await selfFetch(SELF_CHECK_PATH, {
      headers: { authorization: `Bearer ${getSecret("CRON_SECRET")}` },
      signal: AbortSignal.timeout(SELF_CALL_TIMEOUT_MS),
    });
    const body = await readLimitedText(res, 16 * 1024).catch(() => null);
    const latencyMs = elapsed(started);
    if (res.ok) return { status: "ok", latencyMs, url: origin };
    return {
      status: "down",
      latencyMs,
      url: origin,
      error: refusal(res.status, body, origin ?? "the base URL", res.headers.get("location")),
    };
  } catch (error) {
    if (error instanceof SelfCallUnavailable)
      return {
        status: "down",
        latencyMs: null,
        url: null,
        error: "No base URL: set PUBLIC_BASE_URL (Vercel sets VERCEL_URL itself).",
      };
    if (error instanceof ConfigError)
      return {
        status: "down",
        latencyMs: null,
        url: origin,
        error: "CRON_SECRET is not set: self-calls cannot authenticate.",
      };
    const latencyMs = elapsed(started);
    const name = (error as { name?: unknown } | null)?.name;
    if (name === "TimeoutError" || name === "AbortError")
      return {
        status: "down",
        latencyMs,
        url: origin,
        error: `${origin} did not answer within ${SELF_CALL_TIMEOUT_MS / 1000} s.`,
      };
    const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
    return {
      status: "down",
      latencyMs,
      url: origin,
      error: `${origin} could not be reached${typeof cause === "string" ? ` (${cause})` : ""}.`,
    };
  }
}

let selfCache: { key: string; at: number; result: Promise<SelfCallCheck> } | undefined;

/** The self-call check, shared by concurrent requests and reused for CHECK_CACHE_MS (per base URL and secrets). */
export async function checkSelfCall(): Promise<SelfCallCheck> {
  if (!callsItself()) return { status: "skipped" };
  // What the answer depends on; hashed, so no secret is kept in clear beyond process.env.
  let cron = "";
  try {
    cron = getSecret("CRON_SECRET");
  } catch {
    // reported by the probe itself
  }
  const key = createHash("sha256")
    .update([selfOrigin() ?? "", process.env.VERCEL_AUTOMATION_BYPASS_SECRET ?? "", cron].join("\u0000"))
    .digest("hex");
  const now = performance.now();
  if (selfCache && selfCache.key === key && now - selfCache.at < CHECK_CACHE_MS) return selfCache.result;
  const result = probeSelf();
  selfCache = { key, at: now, result };
  const check = await result;
  if (check.status === "down")
    log.warn("health check: the app cannot call itself", { url: check.url, error: check.error });
  return check;
}

/**
 * A definition's content for the comparison, without the timeouts of `agent` steps: a step that
 * sets none gets its action's declared timeout from the agent catalog, and loading the catalog
 * (every agent, html-validate, the AI SDK) would cost this public route its cold start. So a file
 * whose only change is an agent step's timeout is not reported stale; any other change is.
 */
function comparable(def: WorkflowDefinition): string {
  const strip = (step: StepDefinition): StepDefinition =>
    step.kind === "agent" ? ({ ...step, timeoutMs: undefined } as unknown as StepDefinition) : step;
  return canonicalJson({
    ...def,
    steps: def.steps.map(strip),
    errorHandlers: def.errorHandlers.map((h) => ({ ...h, step: strip(h.step) })),
  });
}

/** Compares the files of workflows/ with the latest registered versions. */
async function compareWorkflows(db: Db): Promise<WorkflowsCheck> {
  let files;
  try {
    files = await loadWorkflowFiles(WORKFLOWS_DIR);
  } catch (error) {
    const first = error instanceof DefinitionError ? error.issues[0] : undefined;
    return {
      status: "down",
      files: 0,
      missing: [],
      stale: [],
      error: `The workflow files are invalid${first ? `: ${first.path}: ${first.message}` : ""}.`,
    };
  }
  const names = files.map((f) => f.definition.name);
  const rows =
    names.length === 0
      ? []
      : await db
          .selectDistinctOn([workflowDefinitions.name], {
            name: workflowDefinitions.name,
            definition: workflowDefinitions.definition,
          })
          .from(workflowDefinitions)
          .where(sql`${workflowDefinitions.name} = any(${sql.param(names)}::text[])`)
          .orderBy(workflowDefinitions.name, desc(workflowDefinitions.version));
  const latest = new Map(rows.map((r) => [r.name, comparable(r.definition as WorkflowDefinition)]));
  const missing: string[] = [];
  const stale: string[] = [];
  for (const { definition } of files) {
    const registered = latest.get(definition.name);
    if (registered === undefined) missing.push(definition.name);
    else if (registered !== comparable(definition)) stale.push(definition.name);
  }
  return { status: missing.length + stale.length > 0 ? "down" : "ok", files: files.length, missing, stale };
}

let workflowCaches = new WeakMap<Db, { at: number; result: Promise<WorkflowsCheck> }>();

/** The workflow check, per database handle, reused for CHECK_CACHE_MS. */
export async function checkWorkflows(db: Db): Promise<WorkflowsCheck> {
  const cached = workflowCaches.get(db);
  const now = performance.now();
  if (cached && now - cached.at < CHECK_CACHE_MS) return cached.result;
  const result = withTimeout(compareWorkflows(db), CHECK_TIMEOUT_MS, "workflow check").catch(
    (error: unknown): WorkflowsCheck => {
      log.warn("health check: the workflow check failed", { error });
      return { status: "down", files: 0, missing: [], stale: [], error: "The registered workflows could not be read." };
    },
  );
  workflowCaches.set(db, { at: now, result });
  return result;
}

/** Forgets the cached self-call and workflow checks (tests; after registering files in process). */
export function clearHealthCache(): void {
  selfCache = undefined;
  workflowCaches = new WeakMap();
}

export async function checkHealth(getDb: () => Promise<Db>): Promise<HealthReport> {
  const selfCall = checkSelfCall(); // independent of the database: in parallel
  const database = await checkDatabase(getDb);
  const workflows: WorkflowsCheck = database.db
    ? await checkWorkflows(database.db)
    : { status: "down", files: 0, missing: [], stale: [], error: "Not checked: the database did not answer." };
  const checks = { database: database.check, selfCall: await selfCall, workflows };
  const status: HealthStatus =
    checks.database.status === "down"
      ? "down"
      : checks.database.status === "degraded" || checks.selfCall.status === "down" || checks.workflows.status === "down"
        ? "degraded"
        : "ok";
  return { status, checks, version: appVersion() };
}
