/**
 * Workflow definitions in Postgres, versioned. Registering content equal to the latest version
 * creates nothing; anything else becomes version N+1. A version never changes, so it is cached
 * in memory by (name, version) for the life of the process.
 */
import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { workflowDefinitions } from "@/db/schema";
import { NotFoundError } from "@/errors";
import {
  DefinitionError,
  definitionHash,
  formatDuration,
  loadWorkflowFiles,
  type DefinitionIssue,
  type WorkflowDefinition,
} from "./definition";
import { maxServerlessStepTimeoutMs, tickRouteMaxDurationS } from "./tick-budget";
import { planFor, type Plan } from "./plan";
import { wiredAgents } from "./wiring";

export interface RegisteredDefinition {
  name: string;
  version: number;
  source: string;
  hash: string;
  createdAt: string;
  definition: WorkflowDefinition;
}

type Row = typeof workflowDefinitions.$inferSelect;

function toRegistered(row: Row): RegisteredDefinition {
  return {
    name: row.name,
    version: row.version,
    source: row.source,
    hash: row.hash,
    createdAt: row.createdAt.toISOString(),
    definition: row.definition as WorkflowDefinition,
  };
}

export class WorkflowNotFoundError extends NotFoundError {
  constructor(name: string, version?: number) {
    super(version === undefined ? `No workflow is named "${name}".` : `Workflow "${name}" has no version ${version}.`);
  }
}

export interface RegisterParams {
  definition: WorkflowDefinition;
  source: string;
  createdBy?: string | null;
}

/**
 * Registers a definition. Concurrent registrations of one name are serialised by a
 * transaction-scoped advisory lock, so versions never collide.
 */
/** Every `agent` step must name an agent this deployment serves, and one of its actions. */
export function assertAgentsKnown(def: WorkflowDefinition): void {
  const issues: DefinitionIssue[] = [];
  const check = (step: WorkflowDefinition["steps"][number], path: string) => {
    if (step.kind !== "agent") return;
    const agents = wiredAgents();
    if (!agents.hasAgent(step.agent)) issues.push({ path: `${path}.agent`, message: `unknown agent "${step.agent}"` });
    else if (!agents.findAction(step.agent, step.action))
      issues.push({ path: `${path}.action`, message: `agent "${step.agent}" has no action "${step.action}"` });
  };
  def.steps.forEach((step, i) => check(step, `steps[${i}]`));
  def.errorHandlers.forEach((handler, i) => check(handler.step, `error_handling[${i}]`));
  if (issues.length > 0) throw new DefinitionError(issues);
}

/**
 * On Vercel no worker is resident: a step runs inside one tick of the tick route, and a tick only
 * claims a step whose timeout fits its budget. A longer timeout would leave the step `queued`
 * forever, so it is refused here, with the reason. (Self-hosted deployments run long steps on
 * `npm run worker`, which claims any timeout.) Sleeps and waits only park: their duration is
 * not a timeout. `source`: the environment (tests).
 */
export function assertFitsServerlessTick(def: WorkflowDefinition, source: NodeJS.ProcessEnv = process.env): void {
  if (!source.VERCEL?.trim()) return;
  const max = maxServerlessStepTimeoutMs(source);
  const issues: DefinitionIssue[] = [];
  const check = (step: WorkflowDefinition["steps"][number], path: string) => {
    if (step.kind === "sleep" || step.kind === "wait_for_event" || step.timeoutMs <= max) return;
    issues.push({
      path: `${path}.timeout`,
      message:
        `a timeout of ${formatDuration(step.timeoutMs)} can never fit in a tick: on Vercel a step runs inside one tick of ` +
        `/api/orchestration/tick, whose budget is ${formatDuration(max)} (maxDuration ${tickRouteMaxDurationS()} s in vercel.json, ` +
        `TICK_BUDGET_MS); shorten the timeout, split the step, or make the action answer 202 and call back`,
    });
  };
  def.steps.forEach((step, i) => check(step, `steps[${i}]`));
  def.errorHandlers.forEach((handler, i) => check(handler.step, `error_handling[${i}]`));
  if (issues.length > 0) throw new DefinitionError(issues);
}

export async function registerDefinition(
  db: Db,
  params: RegisterParams,
): Promise<{ registered: RegisteredDefinition; created: boolean }> {
  assertAgentsKnown(params.definition);
  assertFitsServerlessTick(params.definition);
  const hash = definitionHash(params.definition);
  const name = params.definition.name;
  const result = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${"workflow:" + name}))`);
    const [latest] = await tx
      .select()
      .from(workflowDefinitions)
      .where(eq(workflowDefinitions.name, name))
      .orderBy(desc(workflowDefinitions.version))
      .limit(1);
    if (latest && latest.hash === hash) return { registered: toRegistered(latest), created: false };
    const [row] = await tx
      .insert(workflowDefinitions)
      .values({
        name,
        version: (latest?.version ?? 0) + 1,
        definition: params.definition,
        source: params.source,
        hash,
        createdBy: params.createdBy ?? null,
      })
      .returning();
    const registered = toRegistered(row!);
    return { registered, created: true };
  });
  cachesOf(db).latestCache.delete(name);
  return result;
}

// Caches are per database handle: one process may talk to several databases (tests do).
const versionCaches = new WeakMap<Db, Map<string, RegisteredDefinition>>();
const latestCaches = new WeakMap<Db, Map<string, { registered: RegisteredDefinition; at: number }>>();
function cachesOf(db: Db) {
  let versions = versionCaches.get(db);
  let latest = latestCaches.get(db);
  if (!versions || !latest) {
    versions = new Map();
    latest = new Map();
    versionCaches.set(db, versions);
    latestCaches.set(db, latest);
  }
  return { versionCache: versions, latestCache: latest };
}

/**
 * Which version is the latest is cached briefly: starting a run then costs no lookup. A version
 * registered in this process replaces the entry at once; another instance sees it within
 * LATEST_TTL_MS (runs started meanwhile pin the previous version, which stays valid).
 */
const LATEST_TTL_MS = 1_000;

/** One version, or the latest when `version` is omitted. */
export async function getDefinition(db: Db, name: string, version?: number): Promise<RegisteredDefinition> {
  const { versionCache, latestCache } = cachesOf(db);
  if (version !== undefined) {
    const cached = versionCache.get(`${name}@${version}`);
    if (cached) return cached;
  } else {
    const latest = latestCache.get(name);
    if (latest && performance.now() - latest.at < LATEST_TTL_MS) return latest.registered;
  }
  const [row] = await db
    .select()
    .from(workflowDefinitions)
    .where(
      version === undefined
        ? eq(workflowDefinitions.name, name)
        : and(eq(workflowDefinitions.name, name), eq(workflowDefinitions.version, version)),
    )
    .orderBy(desc(workflowDefinitions.version))
    .limit(1);
  if (!row) throw new WorkflowNotFoundError(name, version);
  const registered = toRegistered(row);
  if (versionCache.size > 1000) versionCache.clear();
  versionCache.set(`${name}@${registered.version}`, registered);
  if (version === undefined) {
    if (latestCache.size > 1000) latestCache.clear();
    latestCache.set(name, { registered, at: performance.now() });
  }
  return registered;
}

export async function getPlan(db: Db, name: string, version: number): Promise<Plan> {
  const registered = await getDefinition(db, name, version);
  return planFor(registered.definition, registered.version);
}

/** The latest version of every workflow. */
export async function listLatestDefinitions(db: Db): Promise<RegisteredDefinition[]> {
  const rows = await db
    .selectDistinctOn([workflowDefinitions.name])
    .from(workflowDefinitions)
    .orderBy(workflowDefinitions.name, desc(workflowDefinitions.version));
  return rows.map(toRegistered);
}

/** Registers every file of `workflows/` (at start); unchanged files create no version. */
export async function syncWorkflowFiles(
  db: Db,
  dir?: string,
): Promise<{ name: string; version: number; created: boolean }[]> {
  const files = await loadWorkflowFiles(dir);
  // Every file is checked before any is registered: a deploy that fails on one file registers none.
  const issues: DefinitionIssue[] = [];
  for (const { file, definition } of files) {
    try {
      assertAgentsKnown(definition);
      assertFitsServerlessTick(definition);
    } catch (error) {
      if (!(error instanceof DefinitionError)) throw error;
      issues.push(...error.issues.map((issue) => ({ path: `${file}: ${issue.path}`, message: issue.message })));
    }
  }
  if (issues.length > 0) throw new DefinitionError(issues);
  const out: { name: string; version: number; created: boolean }[] = [];
  for (const { file, definition } of files) {
    const { registered, created } = await registerDefinition(db, { definition, source: `file:${file}` });
    out.push({ name: registered.name, version: registered.version, created });
  }
  return out;
}
