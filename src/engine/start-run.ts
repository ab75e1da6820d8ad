/**
 * Starting a run: one transaction inserts the run and one row per top-level step; steps with
 * no dependency are queued at once. An idempotency key returns the existing run instead of a
 * second one (unique index on (workflow, idempotency_key)). A run whose concurrency key is at
 * its limit is stored `queued` with nothing claimable until a slot frees (progress.ts).
 */
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { PRIORITIES, steps as stepsTable, type Priority } from "@/db/schema";
import { renderTemplates } from "./definition";
import { planFor } from "./plan";
import { getDefinition } from "./registry";

export const PRIORITY_VALUE: Record<Priority, number> = { low: 0, normal: 1, high: 2, critical: 3 };
export function priorityName(value: number): Priority {
  return PRIORITIES[value] ?? "normal";
}

/** Steps that only park (sleep, wait) take no time to claim; their timeout is not a budget. */
const PARKING_TIMEOUT_MS = 100;

export interface StartRunParams {
  workflow: string;
  /** Latest when omitted. */
  version?: number;
  input?: unknown;
  idempotencyKey?: string | null;
  priority?: Priority;
  trigger?: Record<string, unknown>;
}

export interface StartedRun {
  id: string;
  created: boolean;
}

export async function startRun(db: Db, params: StartRunParams): Promise<StartedRun> {
  const registered = await getDefinition(db, params.workflow, params.version);
  const plan = planFor(registered.definition, registered.version);
  const def = registered.definition;
  const priority = PRIORITY_VALUE[params.priority ?? "normal"];
  const trigger = params.trigger ?? { type: "manual" };
  const input = params.input ?? null;
  const runId = randomUUID();
  let concurrencyKey: string | null = null;
  if (def.concurrency) {
    const key = renderTemplates(def.concurrency.key, { input, trigger, steps: {}, run: { id: runId, workflow: def.name, version: registered.version } });
    concurrencyKey = key === null || key === undefined ? null : typeof key === "string" ? key : JSON.stringify(key);
  }
  return db.transaction(async (tx) => {
    let admitted = true;
    if (concurrencyKey !== null && def.concurrency) {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`concurrency:${def.name}:${concurrencyKey}`}))`);
      const [row] = await queryRows<{ n: unknown }>(
        tx,
        sql`select count(*)::int as n from runs where workflow = ${def.name} and concurrency_key = ${concurrencyKey} and status = 'running'`,
      );
      admitted = Number(row?.n ?? 0) < def.concurrency.limit;
    }
    const inserted = await queryRows<{ id: string }>(
      tx,
      sql`insert into runs (id, workflow, version, status, priority, input, trigger, idempotency_key, concurrency_key, steps_remaining, started_at)
          values (${runId}, ${def.name}, ${registered.version}, ${admitted ? "running" : "queued"}, ${priority}, ${JSON.stringify(input)}::jsonb,
                  ${JSON.stringify(trigger)}::jsonb, ${params.idempotencyKey ?? null}, ${concurrencyKey}, ${def.steps.length},
                  ${admitted ? sql`now()` : null})
          on conflict (workflow, idempotency_key) do nothing returning id`,
    );
    if (inserted.length === 0) {
      const [existing] = await queryRows<{ id: string }>(
        tx,
        sql`select id from runs where workflow = ${def.name} and idempotency_key = ${params.idempotencyKey ?? null}`,
      );
      return { id: existing!.id, created: false };
    }
    const roots = new Set(plan.roots);
    await tx.insert(stepsTable).values(
      def.steps.map((step) => {
        const ready = admitted && roots.has(step.name);
        const parks = step.kind === "sleep" || step.kind === "wait_for_event";
        return {
          runId,
          name: step.name,
          kind: step.kind,
          status: ready ? ("queued" as const) : ("pending" as const),
          priority,
          maxAttempts: step.retry.maxAttempts,
          timeoutMs: parks ? PARKING_TIMEOUT_MS : step.timeoutMs,
          depsRemaining: step.dependsOn.length,
          readyAt: ready ? sql`now()` : null,
        };
      }),
    );
    return { id: runId, created: true };
  });
}
