/** What every workload gets, and what it reports. */
import type { AppClient } from "../client";
import type { RehearsalDatabase } from "../database";
import type { Options } from "../options";
import type { Receiver } from "../receiver";
import type { Supplier } from "../supplier";
import { RehearsalFailure, sleep } from "../util";

export interface WorkloadContext {
  client: AppClient;
  db: RehearsalDatabase;
  options: Options;
  receiver: Receiver;
  supplier: Supplier;
  secrets: { shopifyWebhookSecret: string };
  /** Epoch ms after which the workload gives up. */
  deadline: number;
}

export interface WorkloadResult {
  name: string;
  /** Wall clock from its first request to its last run done. */
  ms: number;
  runs: number;
  details: Record<string, unknown>;
}

export interface RunRow {
  id: string;
  workflow: string;
  status: string;
  created_at: Date;
  finished_at: Date | null;
  [key: string]: unknown;
}

const FINAL = new Set(["succeeded", "failed", "cancelled"]);

/**
 * Waits until every run of `ids` is final (read from the database: polling hundreds of runs over
 * HTTP would be the load, not the workload) and fails naming the first runs that did not succeed.
 */
export async function awaitRuns(ctx: WorkloadContext, what: string, ids: string[]): Promise<RunRow[]> {
  for (;;) {
    const rows = await ctx.db.query<RunRow>(
      `select id, workflow, status, created_at, finished_at from runs where id = any($1::uuid[])`,
      [ids],
    );
    const pending = rows.filter((r) => !FINAL.has(r.status));
    if (rows.length === ids.length && pending.length === 0) {
      const bad = rows.filter((r) => r.status !== "succeeded");
      if (bad.length > 0)
        throw new RehearsalFailure(
          `${what}: ${bad.length} of ${ids.length} runs did not succeed:\n${await describeRuns(
            ctx.db,
            bad.slice(0, 5).map((r) => r.id),
          )}`,
        );
      return rows;
    }
    if (Date.now() > ctx.deadline) {
      const late = rows.filter((r) => !FINAL.has(r.status)).map((r) => r.id);
      throw new RehearsalFailure(
        `${what}: ${late.length + (ids.length - rows.length)} of ${ids.length} runs not done at the deadline:\n${await describeRuns(ctx.db, late.slice(0, 3))}`,
      );
    }
    await sleep(500);
  }
}

/** A run's state for a failure message: status, error, and its steps that are not succeeded. */
export async function describeRuns(db: RehearsalDatabase, ids: string[]): Promise<string> {
  const out: string[] = [];
  for (const id of ids) {
    const [run] = await db.query<{ workflow: string; status: string; error: unknown; steps_remaining: number }>(
      `select workflow, status, error, steps_remaining from runs where id = $1`,
      [id],
    );
    if (!run) {
      out.push(`  run ${id}: not found`);
      continue;
    }
    out.push(
      `  run ${id} (${run.workflow}): ${run.status}, ${run.steps_remaining} steps remaining${run.error ? `, error ${JSON.stringify(run.error)}` : ""}`,
    );
    const steps = await db.query<{
      name: string;
      item_index: number;
      status: string;
      attempts: number;
      error: unknown;
      ready_at: Date | null;
      lease_expires_at: Date | null;
    }>(
      `select name, item_index, status, attempts, error, ready_at, lease_expires_at from steps where run_id = $1 and status <> 'succeeded' order by id limit 5`,
      [id],
    );
    for (const s of steps) {
      const where = s.item_index >= 0 ? `${s.name}[${s.item_index}]` : s.name;
      out.push(
        `    step ${where}: ${s.status}, ${s.attempts} attempts${s.error ? `, error ${JSON.stringify(s.error).slice(0, 400)}` : ""}${s.ready_at ? `, ready_at ${s.ready_at.toISOString()}` : ""}${s.lease_expires_at ? `, lease until ${s.lease_expires_at.toISOString()}` : ""}`,
      );
    }
  }
  return out.join("\n");
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!, i);
    }),
  );
  return out;
}
