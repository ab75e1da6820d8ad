/**
 * `npm run rehearse`: a serverless rehearsal of the Vercel + Neon production deployment on this
 * machine (issue 14, points 6 and 7). In order:
 * 1. a fresh Postgres database, the Neon driver's WebSocket relay, the simulated supplier, the
 *    http steps' receiver, and secrets generated for the run;
 * 2. the vercel.json build command as written, in the production environment (migrations and
 *    workflow registration through the Neon driver; `next build` skipped while .next is current);
 * 3. N `next start` processes (VERCEL=1, VERCEL_ENV=production, no resident worker) behind a
 *    round-robin proxy (the production domain) and a protected proxy (the deployment URL, 401
 *    without the bypass header) that PUBLIC_BASE_URL names, so every self-call must pass it;
 * 4. /api/health: selfCall ok, workflows ok; selfCall down on a server with a wrong bypass secret;
 * 5. a cron caller on a compressed clock, a chaos loop of SIGKILLs and restarts, and the
 *    workloads at once: site orders, a 300-step chain, Shopify orders and an order_tracking cron
 *    run, a 500-item for_each, wait_for_event (and, in the long form, bulk agent invocations);
 * 6. the invariants, read from the database; the figures as JSON and a table.
 * Exit code 1 when a workload or an invariant fails. Every process it started is killed on exit.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { runBuildCommand, readVercelConfig, type BuildResult } from "./rehearse/build";
import { startChaos, type Chaos } from "./rehearse/chaos";
import { killAllChildren } from "./rehearse/children";
import { AppClient } from "./rehearse/client";
import { startCronCaller, type CronCaller } from "./rehearse/cron-caller";
import { createDatabase, release, type RehearsalDatabase } from "./rehearse/database";
import { deploymentUrlProtected, healthOnEveryServer, healthWithWrongSecret } from "./rehearse/health-checks";
import {
  attemptsDisjoint,
  awaitQuiet,
  everyRunSucceeded,
  noLive5xx,
  publishedEventsPresent,
  receiverNoOverlap,
  shopifyDeliveriesOnce,
  type Check,
} from "./rehearse/invariants";
import { parseOptions, type Options } from "./rehearse/options";
import { startProtectedProxy, startRoundRobinProxy, type ProtectedProxy, type Proxy } from "./rehearse/proxies";
import { startReceiver, type Receiver } from "./rehearse/receiver";
import {
  agentCallFigures,
  attemptFailures,
  coldStartFigures,
  printTable,
  tickCallsByOrigin,
  tickFigures,
} from "./rehearse/report";
import { ServerPool } from "./rehearse/servers";
import { acquireStartLock, type StartLock } from "./rehearse/start-lock";
import { startSupplier, type Supplier } from "./rehearse/supplier";
import { freeStablePort, RehearsalFailure, say } from "./rehearse/util";
import { agentInvocations } from "./rehearse/workloads/agents";
import { chain, ticksDuring } from "./rehearse/workloads/chain";
import type { WorkloadContext, WorkloadResult } from "./rehearse/workloads/context";
import { forEach } from "./rehearse/workloads/for-each";
import { holdCron, SHOP, shopifyOrders } from "./rehearse/workloads/shopify";
import { siteOrders } from "./rehearse/workloads/sites";
import { waitForEvent } from "./rehearse/workloads/wait-for-event";
import { startWsRelay, type WsRelay } from "./rehearse/ws-relay";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** After the workloads, how long the deployment may take to finish what they caused (order_shipped runs...). */
const QUIET_TIMEOUT_MS = 60_000;

interface Resources {
  lock?: StartLock;
  db?: RehearsalDatabase;
  relay?: WsRelay;
  supplier?: Supplier;
  receiver?: Receiver;
  pool?: ServerPool;
  production?: Proxy;
  deployment?: ProtectedProxy;
  cron?: CronCaller;
  chaos?: Chaos;
}

const resources: Resources = {};
let cleaning: Promise<void> | undefined;

/** Stops everything this run started, in reverse order; safe to call twice. */
function cleanup(keep: boolean): Promise<void> {
  cleaning ??= (async () => {
    const r = resources;
    await r.chaos?.stop().catch(() => undefined);
    await r.cron?.stop().catch(() => undefined);
    await r.pool?.stopAll().catch(() => undefined);
    killAllChildren();
    await r.deployment?.close().catch(() => undefined);
    await r.production?.close().catch(() => undefined);
    await r.relay?.close().catch(() => undefined);
    await r.supplier?.running.close().catch(() => undefined);
    await r.receiver?.close().catch(() => undefined);
    if (r.db) {
      if (keep) {
        await release(r.db);
        say(`kept the database ${r.db.name} (${r.db.url})`);
      } else await r.db.drop().catch((error: unknown) => say(`could not drop ${r.db!.name}: ${String(error)}`));
    }
    r.lock?.release();
  })();
  return cleaning;
}

function secrets() {
  const token = (bytes = 32) => randomBytes(bytes).toString("base64url");
  return {
    ADMIN_API_KEY: `aok_${token(24)}`,
    CRON_SECRET: token(),
    INTER_AGENT_SECRET: token(),
    SESSION_SECRET: token(),
    ENCRYPTION_KEYS: `1:${randomBytes(32).toString("base64")}`,
    SHOPIFY_WEBHOOK_SECRET: `shpss_${token(16)}`,
    VERCEL_AUTOMATION_BYPASS_SECRET: token(24),
  };
}

/** The environment without anything of this machine's app configuration (tests, .env habits). */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (
      /^(DATABASE_|TEST_DATABASE|VERCEL|NEON_|PUBLIC_BASE_URL|APP_ENV|PORT$|DATA_DIR|SUPPLIER_|STRIPE_|SMTP_|SLACK_|BLOB_|OPENAI_|ANTHROPIC_|GOOGLE_ADS|AGENT_|TICK_|HTTP_STEP|NODE_ENV|npm_)/.test(
        name,
      )
    )
      delete env[name];
  }
  return env;
}

/** Every workflow file's name, for the check that the build registered them all. */
function workflowFileNames(): string[] {
  const dir = path.join(ROOT, "workflows");
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => (parseYaml(readFileSync(path.join(dir, f), "utf8")) as { name: string }).name)
    .sort();
}

async function workflowsRegistered(db: RehearsalDatabase): Promise<Check> {
  const files = workflowFileNames();
  const rows = await db.query<{ name: string }>(`select distinct name from workflow_definitions`);
  const registered = new Set(rows.map((r) => r.name));
  const missing = files.filter((f) => !registered.has(f));
  return {
    name: "the build registered every workflow file",
    ok: missing.length === 0,
    detail:
      missing.length === 0
        ? `${files.length} files: ${files.join(", ")}`
        : `not registered: ${missing.join(", ")} (is workflow registration in the vercel.json buildCommand?)`,
  };
}

async function main(options: Options): Promise<number> {
  const workDir = mkdtempSync(path.join(tmpdir(), `rehearsal-${process.pid}-`));
  say(`${options.long ? "long" : "short"} form; logs in ${workDir}`);
  const checks: Check[] = [];
  const fail = (check: Check) => {
    checks.push(check);
    if (!check.ok) say(`FAIL ${check.name}: ${check.detail}`);
    else say(`ok ${check.name}: ${check.detail.split("\n")[0]}`);
  };

  resources.lock = await acquireStartLock(ROOT);
  const db = (resources.db = await createDatabase(options.adminUrl));
  const relay = (resources.relay = await startWsRelay());
  const supplier = (resources.supplier = await startSupplier());
  const receiver = (resources.receiver = await startReceiver());
  const s = secrets();

  // The servers' pool is created once the proxies exist (its environment names them); the
  // production proxy reads the pool's slots at each request.
  const production = (resources.production = await startRoundRobinProxy(() => resources.pool!));
  const deployment = (resources.deployment = await startProtectedProxy(production, s.VERCEL_AUTOMATION_BYPASS_SECRET));
  const productionHost = new URL(production.url).host;
  const deploymentHost = new URL(deployment.url).host;

  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    NEXT_TELEMETRY_DISABLED: "1",
    NODE_ENV: "production",
    LOG_LEVEL: "info",
    DATA_DIR: path.join(workDir, "data"),
    VERCEL: "1",
    VERCEL_ENV: "production",
    // What Vercel sets: the production domain and this deployment's own URL (hosts, no scheme).
    // The app would prefix https://, so the self-calls are pinned by PUBLIC_BASE_URL instead,
    // to the deployment URL: behind the protection, every self-call must carry the bypass header.
    VERCEL_PROJECT_PRODUCTION_URL: productionHost,
    VERCEL_URL: deploymentHost,
    PUBLIC_BASE_URL: deployment.url,
    DATABASE_URL: db.url,
    ...(options.driver === "neon"
      ? { DATABASE_DRIVER: "neon", NEON_WS_PROXY: `127.0.0.1:${relay.port}/v2?address={host}:{port}` }
      : { DATABASE_DRIVER: "pg" }),
    ...s,
    // Production refuses to start with SHOPIFY_WEBHOOK_SECRET but no shop named (issue 15).
    SHOPIFY_SHOP_DOMAINS: SHOP,
    ...supplier.env,
    HTTP_STEP_ALLOWED_HOSTS: "127.0.0.1",
    TICK_BATCH_SIZE: String(options.tickBatch),
    // No Stripe here: production refuses to start without it unless test mode is explicit (src/env.ts).
    ORDERS_TEST_MODE: "1",
  };

  // 2. The build.
  const build: BuildResult = await runBuildCommand(ROOT, workDir, env, path.join(workDir, "build.log"));
  say(
    `build command done in ${(build.elapsedMs / 1000).toFixed(1)} s (${build.reused ? "next build skipped: .next current" : "next build ran"})`,
  );
  fail(await workflowsRegistered(db));
  if (options.only.includes("shopify") && options.shopify > 0) await holdCron(db);

  // 3. The servers, one after the other (each cold start measured alone).
  const ports = await Promise.all(Array.from({ length: options.servers }, () => freeStablePort()));
  const pool = (resources.pool = new ServerPool(ROOT, ports, env, workDir, options.verbose));
  for (const slot of pool.slots) {
    const ms = await pool.start(slot);
    say(`server ${slot.index} on :${slot.port} healthy in ${ms} ms`);
  }

  // 4. Health through the eyes of an operator.
  fail(await deploymentUrlProtected(deployment, s.VERCEL_AUTOMATION_BYPASS_SECRET));
  fail(await healthOnEveryServer(pool));
  fail(await healthWithWrongSecret(ROOT, await freeStablePort(), env, workDir, options.verbose));
  const refusedBefore = Object.values(deployment.refused).reduce((a, b) => a + b, 0);

  // 5. Cron, chaos, workloads.
  const crons = readVercelConfig(ROOT).crons;
  resources.cron = startCronCaller(crons, production.url, s.CRON_SECRET, options.cronEveryMs, options.cronMaxInFlight);
  if (options.chaos) resources.chaos = startChaos(pool, options.killMinMs, options.killMaxMs);
  const client = new AppClient(production.url, s.ADMIN_API_KEY);
  const ctx: WorkloadContext = {
    client,
    db,
    options,
    receiver,
    supplier,
    secrets: { shopifyWebhookSecret: s.SHOPIFY_WEBHOOK_SECRET },
    deadline: Date.now() + options.deadlineMs, // per phase, below
  };
  // The short form runs every workload at once. The long form runs three phases, so each scale
  // figure is its own: the correctness workloads at their long sizes, then the site projects all
  // in flight at once, then the sustained agent invocations.
  type Planned = { name: string; phase: number; run: (c: WorkloadContext) => Promise<WorkloadResult> };
  const planned: Planned[] = [];
  const wants = (w: Options["only"][number]) => options.only.includes(w);
  const phaseOf = (longPhase: number) => (options.long ? longPhase : 0);
  if (wants("sites") && options.sites > 0)
    planned.push({ name: "site orders", phase: phaseOf(1), run: (c) => siteOrders(c) });
  if (wants("chain")) planned.push({ name: "300-step chain", phase: 0, run: (c) => chain(c) });
  if (wants("shopify") && options.shopify > 0)
    planned.push({ name: "shopify orders", phase: 0, run: (c) => shopifyOrders(c, ROOT) });
  if (wants("foreach")) planned.push({ name: "for_each", phase: 0, run: (c) => forEach(c) });
  if (wants("wait") && options.waits > 0)
    planned.push({ name: "wait_for_event", phase: 0, run: (c) => waitForEvent(c) });
  if (wants("agents") && options.agentRuns > 0)
    planned.push({ name: "agent invocations", phase: phaseOf(2), run: (c) => agentInvocations(c) });
  say(
    `workloads: ${planned.map((p) => p.name).join(", ")}; cron every ${options.cronEveryMs} ms; ${options.chaos ? `a kill every ${options.killMinMs}-${options.killMaxMs} ms` : "no kills"}`,
  );
  const workloadsStarted = performance.now();
  const results: WorkloadResult[] = [];
  const failedWorkloads: { name: string; error: string }[] = [];
  const phases = [...new Set(planned.map((p) => p.phase))].sort();
  for (const phase of phases) {
    const group = planned.filter((p) => p.phase === phase);
    if (phases.length > 1) {
      if (phase !== phases[0]) await awaitQuiet(db, QUIET_TIMEOUT_MS);
      say(`phase ${phase}: ${group.map((p) => p.name).join(", ")}`);
    }
    const phaseCtx: WorkloadContext = { ...ctx, deadline: Date.now() + options.deadlineMs };
    const settled = await Promise.allSettled(
      group.map(async (p) => {
        const result = await p.run(phaseCtx);
        say(`workload done: ${p.name} in ${(result.ms / 1000).toFixed(1)} s`);
        return result;
      }),
    );
    settled.forEach((outcome, i) => {
      const name = group[i]!.name;
      if (outcome.status === "fulfilled") results.push(outcome.value);
      else {
        const error = outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
        failedWorkloads.push({ name, error });
        fail({ name: `workload ${name}`, ok: false, detail: error });
      }
    });
  }
  const workloadsMs = Math.round(performance.now() - workloadsStarted);
  // 6. Quiet, then the invariants.
  await resources.chaos?.stop();
  const stillActive = await awaitQuiet(db, QUIET_TIMEOUT_MS);
  await resources.cron.stop();
  if (stillActive > 0) say(`${stillActive} runs still active ${QUIET_TIMEOUT_MS / 1000} s after the workloads`);
  // The servers flush their metric points after each tick; a moment for the last ones.
  await new Promise((r) => setTimeout(r, 1_500));
  fail(await everyRunSucceeded(db));
  fail(await attemptsDisjoint(db));
  fail(await receiverNoOverlap(receiver));
  if (wants("shopify") && options.shopify > 0) fail(await shopifyDeliveriesOnce(db, options.shopify));
  if (wants("wait") && options.waits > 0) fail(await publishedEventsPresent(db, options.waits));
  fail(noLive5xx(production.stats));
  const chainResult = results.find((r) => r.name === "300-step chain");
  let chainTicks: { calls: Record<string, number>; recorded: Record<string, number> } | undefined;
  if (chainResult) {
    const from = chainResult.details.from as Date;
    const to = chainResult.details.to as Date;
    chainTicks = {
      calls: tickCallsByOrigin(production.stats.tickCalls, from.getTime(), to.getTime()),
      recorded: await ticksDuring(ctx, from, to),
    };
    const calls = Object.values(chainTicks.calls).reduce((a, b) => a + b, 0);
    fail({
      name: "the chain spanned at least 20 ticks",
      ok: calls >= 20,
      detail: `${calls} tick calls while it ran (${JSON.stringify(chainTicks.calls)}; completed and recorded: ${JSON.stringify(chainTicks.recorded)}), ${pool.kills} kills in all`,
    });
  }
  const refusedDuring = Object.values(deployment.refused).reduce((a, b) => a + b, 0) - refusedBefore;
  fail({
    name: "no self-call refused by the deployment URL",
    ok: refusedDuring === 0,
    detail:
      refusedDuring === 0
        ? `${deployment.stats.requests} self-calls passed the protection`
        : JSON.stringify(deployment.refused),
  });

  const ticks = await tickFigures(db);
  const coldStarts = coldStartFigures(pool.coldStarts);
  const tickCalls = tickCallsByOrigin(production.stats.tickCalls);
  const figures = {
    form: options.long ? "long" : "short",
    servers: options.servers,
    driver: options.driver,
    build,
    workloads: Object.fromEntries(results.map((r) => [r.name, { ms: r.ms, runs: r.runs, ...r.details }])),
    failedWorkloads,
    workloadsWallMs: workloadsMs,
    ticks: { calls: tickCalls, recorded: ticks, duringChain: chainTicks },
    coldStarts,
    kills: pool.kills,
    http: {
      productionDomain: {
        requests: production.stats.requests,
        byStatus: production.stats.byStatus,
        live5xx: production.stats.live5xx.length + production.stats.liveResets.length,
        killed502: production.stats.killed502,
        retriedOnAnother: production.stats.retried,
      },
      deploymentUrl: {
        requests: deployment.stats.requests,
        byStatus: deployment.stats.byStatus,
        refused: deployment.refused,
      },
      clientRetries: client.retries,
    },
    cron: resources.cron.stats,
    agentCalls: await agentCallFigures(db),
    attemptFailures: await attemptFailures(db),
    receiver: { calls: receiver.calls, byPath: Object.fromEntries(receiver.byPrefix) },
    checks: checks.map((c) => ({ name: c.name, ok: c.ok })),
    // The proxies, the relay and the checks all run in this one process: its CPU share tells how
    // much of the machine the harness itself took from the servers.
    harnessCpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
    wallMs: Math.round(performance.now()),
    logs: workDir,
    serverErrors: pool.errorLines.slice(0, 20),
  };
  console.log(JSON.stringify(figures, null, 2));
  printTable({
    workloads: results,
    failedWorkloads,
    ticks,
    tickCalls,
    coldStarts,
    kills: pool.kills,
    live5xx: figures.http.productionDomain.live5xx,
    killed502: production.stats.killed502,
    checks,
  });
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    console.error(`\nThe rehearsal FAILED (${failed.length}):`);
    for (const c of failed) console.error(`- ${c.name}:\n${c.detail}`);
    console.error(`Server logs: ${workDir}`);
    return 1;
  }
  say("the rehearsal passed");
  return 0;
}

const options = parseOptions(process.argv.slice(2));
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping everything`);
    void cleanup(options.keep).finally(() => process.exit(130));
  });
}
let code = 1;
try {
  code = await main(options);
} catch (error) {
  if (cleaning) {
    // Interrupted: the cleanup under way caused this error; let it finish, then leave.
    await cleaning;
    process.exit(130);
  }
  console.error(error instanceof RehearsalFailure ? `The rehearsal FAILED: ${error.message}` : error);
  code = 1;
} finally {
  await cleanup(options.keep);
}
process.exit(code);
