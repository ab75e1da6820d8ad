/** Engine test helpers: register a YAML definition, drive ticks until a run ends. */
import type { Db } from "@/db/client";
import { parseDefinition } from "@/engine/definition";
import { registerDefinition } from "@/engine/registry";
import { getRun, type RunView } from "@/engine/runs";
import { startRun, type StartRunParams } from "@/engine/start-run";
import { tick, type TickOptions } from "@/engine/tick";

export async function register(db: Db, yaml: string): Promise<number> {
  const { registered } = await registerDefinition(db, { definition: parseDefinition(yaml), source: "test" });
  return registered.version;
}

const FINAL = new Set(["succeeded", "failed", "cancelled"]);

/** Ticks until the run is final (or `maxMs` passes), sleeping briefly when nothing is ready. */
export async function runUntilDone(db: Db, runId: string, maxMs = 20_000): Promise<RunView> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const run = await getRun(db, runId);
    if (FINAL.has(run.status)) return run;
    if (Date.now() > deadline)
      throw new Error(
        `run ${runId} still ${run.status} after ${maxMs} ms: ${JSON.stringify(run.steps.map((s) => [s.name, s.status]))}`,
      );
    const result = await tick(db, { budgetMs: 60_000, alwaysSweep: true });
    if (result.claimed === 0 && result.swept === 0) await new Promise((r) => setTimeout(r, 20));
  }
}

export function stepOf(run: RunView, name: string) {
  const step = run.steps.find((s) => s.name === name);
  if (!step) throw new Error(`no step ${name} in run ${run.id}`);
  return step;
}

/** Starts a run and ticks until it is final. */
export async function finishRun(db: Db, params: StartRunParams): Promise<RunView> {
  return runUntilDone(db, (await startRun(db, params)).id);
}

/** One tick that sweeps whatever the last sweep's time (timers, leases, waits), as the cron route's does. */
export function tickOnce(db: Db, options: Partial<TickOptions> = {}) {
  return tick(db, { budgetMs: 60_000, alwaysSweep: true, ...options });
}

/** Ticks (at most `maxTicks` times) until the run's `step` has `status`; the run as it is then. */
export async function tickUntilStep(
  db: Db,
  runId: string,
  step: string,
  status: string,
  maxTicks = 5,
): Promise<RunView> {
  for (let i = 0; i < maxTicks && stepOf(await getRun(db, runId), step).status !== status; i++) await tickOnce(db);
  return getRun(db, runId);
}

/** Each step's status, by step name. */
export function stepStatuses(run: RunView): Record<string, string> {
  return Object.fromEntries(run.steps.map((s) => [s.name, s.status]));
}
