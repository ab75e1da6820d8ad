/**
 * The real app, as `npm start` runs it (build if stale, `next start`, migrations, the local
 * worker loop), in a child process on a free port with its own DATA_DIR (embedded database
 * unless `env.DATABASE_URL` is given). For end-to-end tests: HTTP against the running app.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { acquireStartLock } from "../../scripts/rehearse/start-lock";
import { freePort } from "../../scripts/rehearse/util";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAX_OUTPUT_CHARS = 400_000;

export interface RunningApp {
  base: string;
  dataDir: string;
  /** The admin key `npm start` generated for this data directory. */
  adminKey(): string;
  /** stdout and stderr so far (bounded): the server's JSON log lines. */
  output(): string;
  stop(): Promise<void>;
  /** SIGKILL of the whole process group: a crash, nothing gets to finish. */
  kill(): Promise<void>;
}

/**
 * Starts are serialised across test workers and with `npm run rehearse` (the start lock beside
 * .next, scripts/rehearse/start-lock.ts): the suite's global setup builds the app before any test
 * (tests/helpers/global-setup.ts), but a start still builds when the sources changed since, and two
 * `next build` in one directory at once would break each other.
 */
async function withStartLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = await acquireStartLock(ROOT);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export async function startApp(
  options: { env?: Record<string, string>; readyTimeoutMs?: number; dataDir?: string } = {},
): Promise<RunningApp> {
  return withStartLock(() => startUnlocked(options));
}

async function startUnlocked(options: {
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  dataDir?: string;
}): Promise<RunningApp> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // A restart passes the previous app's dataDir (its admin key, its embedded database).
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), "orchestrator-app-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    DATA_DIR: dataDir,
    PUBLIC_BASE_URL: base,
    LOG_LEVEL: "info",
    ...options.env,
  };
  for (const key of ["DATABASE_URL", "ADMIN_API_KEY", "VITEST", "VITEST_POOL_ID", "VITEST_WORKER_ID", "NODE_ENV"])
    if (!options.env?.[key]) delete env[key];
  // `next start` without Stripe refuses to start unless test mode is said explicitly (src/env.ts
  // assertPaymentConfig): the tests' apps take orders without payment, unless a test gives Stripe keys.
  if (!env.STRIPE_SECRET_KEY?.trim() && options.env?.ORDERS_TEST_MODE === undefined) env.ORDERS_TEST_MODE = "1";
  const child = spawn(process.execPath, [path.join(ROOT, "scripts", "start.mjs")], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let output = "";
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-MAX_OUTPUT_CHARS);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      const killer = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
    }
    live.delete(child);
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 8 * 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited before it was healthy:\n${output.slice(-4_000)}`);
    try {
      const res = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the app did not become healthy in time:\n${output.slice(-4_000)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    base,
    dataDir,
    adminKey: () => readFileSync(path.join(dataDir, "admin-key"), "utf8").trim(),
    output: () => output,
    stop,
    kill: async () => {
      if (child.exitCode === null && child.pid) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
        await exited;
      }
      live.delete(child);
    },
  };
}
