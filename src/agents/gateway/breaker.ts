/**
 * A circuit breaker per agent, its state in Postgres (`agent_circuits`) so every serverless
 * instance sees the same one.
 *
 * closed ── N consecutive failures, or an error rate over the window ──▶ open
 * open ── cool-down over: the first caller becomes the probe ──▶ half_open
 * half_open ── the probe succeeds ──▶ closed;  fails ──▶ open again (new cool-down)
 *
 * While open (or half-open with a probe in flight) the agent's steps are deferred to the end of
 * the cool-down without using an attempt. Every transition is one conditional UPDATE, so two
 * instances deciding at once produce one transition, recorded in `agent_circuit_transitions`.
 *
 * The hot path (a closed circuit and a success) costs no query: each instance reads all
 * circuits at most once per second (CACHE_TTL_MS) and writes only when something changes. The
 * price: another instance may keep calling a just-opened agent for up to that second.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import type { CircuitState } from "@/db/schema";
import { readEnv } from "@/env";
import { log } from "@/observability/log";
import { callStats } from "./calls";
import { memoOnEnv } from "./env-memo";

const CACHE_TTL_MS = 1_000;
const MIN_CALLS_FOR_RATE = 10;

export interface BreakerConfig {
  failureThreshold: number;
  errorRate: number;
  windowMs: number;
  cooldownMs: number;
}

export const breakerConfig: () => BreakerConfig = memoOnEnv(
  ["AGENT_BREAKER_FAILURES", "AGENT_BREAKER_ERROR_RATE", "AGENT_BREAKER_WINDOW_MS", "AGENT_BREAKER_COOLDOWN_MS"],
  () => {
    const env = readEnv();
    return {
      failureThreshold: env.AGENT_BREAKER_FAILURES,
      errorRate: env.AGENT_BREAKER_ERROR_RATE,
      windowMs: env.AGENT_BREAKER_WINDOW_MS,
      cooldownMs: env.AGENT_BREAKER_COOLDOWN_MS,
    };
  },
);

export interface Circuit {
  agent: string;
  state: CircuitState;
  consecutiveFailures: number;
  openUntil: Date | null;
  probeStartedAt: Date | null;
  updatedAt: Date | null;
}

interface CircuitRow {
  agent: string;
  state: CircuitState;
  consecutive_failures: unknown;
  open_until: unknown;
  probe_started_at: unknown;
  updated_at: unknown;
}

const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
const toCircuit = (r: CircuitRow): Circuit => ({
  agent: r.agent,
  state: r.state,
  consecutiveFailures: Number(r.consecutive_failures),
  openUntil: date(r.open_until),
  probeStartedAt: date(r.probe_started_at),
  updatedAt: date(r.updated_at),
});

const CLOSED = (agent: string): Circuit => ({
  agent,
  state: "closed",
  consecutiveFailures: 0,
  openUntil: null,
  probeStartedAt: null,
  updatedAt: null,
});

const caches = new WeakMap<Db, { at: number; circuits: Map<string, Circuit> }>();

export async function readCircuits(db: Db, maxAgeMs = CACHE_TTL_MS): Promise<Map<string, Circuit>> {
  const cached = caches.get(db);
  if (cached && performance.now() - cached.at < maxAgeMs) return cached.circuits;
  const rows = await queryRows<CircuitRow>(
    db,
    sql`select agent, state, consecutive_failures, open_until, probe_started_at, updated_at from agent_circuits`,
  );
  const circuits = new Map(rows.map((r) => [r.agent, toCircuit(r)]));
  caches.set(db, { at: performance.now(), circuits });
  return circuits;
}

function forget(db: Db): void {
  caches.delete(db);
}

export type Admission = { ok: true; probe: boolean } | { ok: false; until: Date; reason: string };

/** May a call to `agent` go out now? */
export async function admitCall(db: Db, agent: string, config = breakerConfig()): Promise<Admission> {
  const circuit = (await readCircuits(db)).get(agent) ?? CLOSED(agent);
  if (circuit.state === "closed") return { ok: true, probe: false };
  const now = Date.now();
  if (circuit.state === "open" && circuit.openUntil && circuit.openUntil.getTime() > now) {
    return {
      ok: false,
      until: circuit.openUntil,
      reason: `The circuit of agent "${agent}" is open until ${circuit.openUntil.toISOString()}.`,
    };
  }
  // The cool-down is over (or a half-open probe never answered): try to become the probe.
  const [won] = await queryRows<{ agent: string }>(
    db,
    sql`with u as (
          update agent_circuits set state = 'half_open', probe_started_at = now(), updated_at = now()
          where agent = ${agent} and (
            (state = 'open' and open_until <= now()) or
            (state = 'half_open' and probe_started_at < now() - ${config.cooldownMs} * interval '1 millisecond'))
          returning agent
        ), t as (
          insert into agent_circuit_transitions (agent, from_state, to_state, reason)
          select agent, 'open', 'half_open', 'cool-down over: one probe call let through' from u where ${circuit.state === "open"}
        )
        select agent from u`,
  );
  forget(db);
  if (won) return { ok: true, probe: true };
  const until = new Date(now + Math.min(config.cooldownMs, 5_000));
  return { ok: false, until, reason: `Agent "${agent}" is being probed (circuit half-open); waiting for the probe.` };
}

async function transition(
  db: Db,
  agent: string,
  to: CircuitState,
  from: CircuitState[],
  reason: string,
  set: ReturnType<typeof sql>,
): Promise<boolean> {
  const rows = await queryRows<{ from_state: CircuitState }>(
    db,
    sql`with old as (
          select agent, state from agent_circuits where agent = ${agent} and state = any(${sql.param(from)}::text[]) for update
        ), u as (
          update agent_circuits c set state = ${to}, updated_at = now(), ${set} from old where c.agent = old.agent returning old.state as from_state
        ), t as (
          insert into agent_circuit_transitions (agent, from_state, to_state, reason) select ${agent}, from_state, ${to}, ${reason} from u
        )
        select from_state from u`,
  );
  forget(db);
  if (rows.length > 0) log.warn("agent circuit", { agent, from: rows[0]!.from_state, to, reason });
  return rows.length > 0;
}

export async function recordSuccess(db: Db, agent: string): Promise<void> {
  const circuit = (await readCircuits(db)).get(agent);
  if (!circuit || (circuit.state === "closed" && circuit.consecutiveFailures === 0)) return;
  if (circuit.state === "closed") {
    await db.execute(
      sql`update agent_circuits set consecutive_failures = 0, updated_at = now() where agent = ${agent} and state = 'closed'`,
    );
    forget(db);
    return;
  }
  await transition(
    db,
    agent,
    "closed",
    ["half_open", "open"],
    "a call succeeded",
    sql`consecutive_failures = 0, open_until = null, probe_started_at = null`,
  );
}

export async function recordFailure(db: Db, agent: string, config = breakerConfig()): Promise<void> {
  const [row] = await queryRows<{ state: CircuitState; consecutive_failures: unknown }>(
    db,
    sql`insert into agent_circuits (agent, consecutive_failures) values (${agent}, 1)
        on conflict (agent) do update set consecutive_failures = agent_circuits.consecutive_failures + 1, updated_at = now()
        returning state, consecutive_failures`,
  );
  forget(db);
  if (!row) return;
  const open = (reason: string) =>
    transition(
      db,
      agent,
      "open",
      ["closed", "half_open"],
      reason,
      sql`opened_at = now(), open_until = now() + ${config.cooldownMs} * interval '1 millisecond', probe_started_at = null`,
    );
  const failures = Number(row.consecutive_failures);
  if (row.state === "half_open") {
    await open("the half-open probe failed");
    return;
  }
  if (row.state !== "closed") return;
  if (failures >= config.failureThreshold) {
    await open(`${failures} consecutive failures`);
    return;
  }
  const stats = await callStats(db, agent, config.windowMs);
  if (stats.calls >= MIN_CALLS_FOR_RATE && stats.failures / stats.calls > config.errorRate) {
    await open(
      `error rate ${Math.round((100 * stats.failures) / stats.calls)}% over ${Math.round(config.windowMs / 1000)} s (${stats.calls} calls)`,
    );
  }
}

export async function circuitOf(db: Db, agent: string): Promise<Circuit> {
  return (await readCircuits(db, 0)).get(agent) ?? CLOSED(agent);
}
