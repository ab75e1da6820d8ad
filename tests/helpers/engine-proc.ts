/**
 * `npm run worker` as child processes, for tests that need several workers or a worker to
 * crash. Each child is one Node process (`node --import tsx scripts/worker.ts`, not the tsx
 * CLI, which would run the script in a grandchild that a SIGKILL of the CLI leaves running).
 *
 * Cleanup is belt and braces: `stopWorkers` sends SIGTERM and then SIGKILL, and a process
 * `exit` hook SIGKILLs any child still alive if a test file dies without its afterAll.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { WAKE_CHANNEL } from "@/engine/wake";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAX_OUTPUT_CHARS = 200_000;

export interface WorkerProc {
  pid: number;
  child: ChildProcess;
  /** stdout and stderr so far (bounded). */
  output(): string;
  alive(): boolean;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, and wait for the exit. */
  crash(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of live) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

export interface SpawnWorkerOptions {
  /** Extra environment (WORKER_TICK_BUDGET_MS, WORKER_BATCH_SIZE, ...). */
  env?: Record<string, string>;
}

/** Starts `scripts/worker.ts` against `databaseUrl`, with http steps allowed to reach 127.0.0.1. */
export function spawnWorker(databaseUrl: string, options: SpawnWorkerOptions = {}): WorkerProc {
  installExitHook();
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/worker.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      HTTP_STEP_ALLOWED_HOSTS: "127.0.0.1",
      WORKER_SYNC_WORKFLOWS: "0",
      LOG_LEVEL: "warn",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error("could not spawn the worker process");
  live.add(child);
  let output = "";
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-MAX_OUTPUT_CHARS);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    pid: child.pid,
    child,
    output: () => output,
    alive,
    exited,
    async crash() {
      if (alive()) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** SIGTERM (the worker finishes its tick and exits), then SIGKILL after `graceMs`. */
export async function stopWorkers(workers: WorkerProc[], graceMs = 3_000): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (!w.alive()) return;
      w.child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (w.alive()) w.child.kill("SIGKILL");
      }, graceMs);
      await w.exited;
      clearTimeout(timer);
    }),
  );
}

/**
 * Waits until `count` workers LISTEN on the wake channel of `db`'s database: a worker does that
 * right before its first tick. Fails early with the workers' output if one exits.
 */
export async function waitForWorkersReady(db: Db, workers: WorkerProc[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = workers.find((w) => !w.alive());
    if (dead) throw new Error(`worker ${dead.pid} exited before it was ready:\n${dead.output()}`);
    const [row] = await queryRows<{ n: unknown }>(
      db,
      sql`select count(*)::int as n from pg_stat_activity
          where datname = current_database() and query ilike ${`listen ${WAKE_CHANNEL}%`}`,
    );
    if (Number(row?.n ?? 0) >= workers.length) return;
    if (Date.now() > deadline) {
      throw new Error(
        `workers not ready after ${timeoutMs} ms:\n${workers.map((w) => `--- ${w.pid}\n${w.output()}`).join("\n")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Error-level lines the workers logged (JSON lines with `"level":"error"`). */
export function workerErrors(workers: WorkerProc[]): string[] {
  return workers.flatMap((w) =>
    w
      .output()
      .split("\n")
      .filter((line) => line.includes('"level":"error"')),
  );
}
