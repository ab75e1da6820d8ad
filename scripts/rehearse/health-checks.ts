/**
 * /api/health as an operator reads it: on every server `selfCall` ok (through the deployment URL
 * and its bypass header) and `workflows` ok (every file registered by the build); on a server
 * started with a wrong bypass secret, `selfCall` down. And the deployment URL itself: 401
 * without the header, 200 with it.
 */
import type { ProtectedProxy } from "./proxies";
import { ServerPool } from "./servers";
import type { Check } from "./invariants";
import { sleep } from "./util";

interface HealthBody {
  status: string;
  checks?: {
    selfCall?: { status: string; error?: string };
    workflows?: { status: string; missing?: string[]; stale?: string[] };
    database?: { status: string };
  };
}

async function health(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: HealthBody | null }> {
  const res = await fetch(`${url}/api/health`, { headers, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as HealthBody };
  } catch {
    return { status: res.status, body: null };
  }
}

/** Every server's health: selfCall and workflows ok (a failure is cached 30 s by the app, so it is polled up to 40 s). */
export async function healthOnEveryServer(pool: ServerPool): Promise<Check> {
  const details: string[] = [];
  let ok = true;
  for (const slot of pool.slots) {
    const deadline = Date.now() + 40_000;
    let last: { status: number; body: HealthBody | null } | undefined;
    for (;;) {
      last = await health(`http://127.0.0.1:${slot.port}`).catch(() => undefined);
      if (last?.body?.checks?.selfCall?.status === "ok" && last.body.checks.workflows?.status === "ok") break;
      if (Date.now() > deadline) break;
      await sleep(1_000);
    }
    const good = last?.body?.checks?.selfCall?.status === "ok" && last.body.checks.workflows?.status === "ok";
    ok &&= good;
    details.push(
      `server ${slot.index}: ${good ? "selfCall ok, workflows ok" : JSON.stringify(last?.body ?? last?.status)}`,
    );
  }
  return { name: "health: selfCall and workflows ok with the right bypass secret", ok, detail: details.join("; ") };
}

/** A server started with a wrong bypass secret must report its self-calls refused. */
export async function healthWithWrongSecret(
  root: string,
  port: number,
  env: NodeJS.ProcessEnv,
  logDir: string,
  verbose: boolean,
): Promise<Check> {
  const pool = new ServerPool(
    root,
    [port],
    { ...env, VERCEL_AUTOMATION_BYPASS_SECRET: "not-the-bypass-secret" },
    logDir,
    verbose,
    "wrong-secret",
  );
  try {
    await pool.startAll();
    const { body } = await health(`http://127.0.0.1:${port}`);
    const selfCall = body?.checks?.selfCall;
    const ok = selfCall?.status === "down";
    return {
      name: "health: selfCall down with a wrong bypass secret",
      ok,
      detail: ok ? `selfCall down: ${selfCall?.error ?? ""}` : `selfCall ${JSON.stringify(selfCall)}`,
    };
  } finally {
    await pool.stopAll();
  }
}

/** The deployment URL demands the bypass header. */
export async function deploymentUrlProtected(proxy: ProtectedProxy, secret: string): Promise<Check> {
  const without = await health(proxy.url);
  const withIt = await health(proxy.url, { "x-vercel-protection-bypass": secret });
  const ok = without.status === 401 && withIt.status === 200;
  return {
    name: "the deployment URL demands the bypass header",
    ok,
    detail: `without: ${without.status}, with: ${withIt.status}`,
  };
}
