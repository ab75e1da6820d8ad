/**
 * What must hold at the end, read from the database directly:
 * - every run completed (`succeeded`), once the deployment is quiet;
 * - no two attempts of one step overlapped in time (below);
 * - no Shopify delivery or published event lost, none processed twice;
 * - no 5xx from a live server (a 502 for a killed instance is counted apart).
 *
 * Overlap of attempts, from `step_attempts`, per step and per fence (each claim has its own fence,
 * in claim order). An attempt's interval is [claimed, finished]. An attempt whose server was
 * killed never finishes: the sweep writes a `lease_expired` row at the moment it takes the step
 * back (started_at = finished_at = that moment, which is after the lease expired), so that
 * attempt's interval ends there. An attempt that outlived its lease and finished anyway is
 * recorded `discarded` (its result rolled back by the fence): its interval ends when its lease was
 * taken back (the `lease_expired` row of the same fence), since from then on it owned nothing.
 * Each fence's interval must end before the next fence's begins (2 ms for timestamps kept in
 * milliseconds by the app and in microseconds by Postgres).
 */
import type { RehearsalDatabase } from "./database";
import type { ProxyStats } from "./proxies";
import type { Receiver } from "./receiver";
import { SHOP } from "./workloads/shopify";
import { WAIT_TOPIC } from "./workloads/wait-for-event";
import { describeRuns } from "./workloads/context";
import { sleep } from "./util";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** Waits (up to `timeoutMs`) until no run is queued, running or waiting. */
export async function awaitQuiet(db: RehearsalDatabase, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await db.query<{ n: number }>(
      `select count(*)::int as n from runs where status in ('queued', 'running', 'waiting')`,
    );
    if (row!.n === 0 || Date.now() > deadline) return row!.n;
    await sleep(500);
  }
}

export async function everyRunSucceeded(db: RehearsalDatabase): Promise<Check> {
  const rows = await db.query<{ workflow: string; status: string; n: number }>(
    `select workflow, status, count(*)::int as n from runs group by 1, 2 order by 1, 2`,
  );
  const bad = await db.query<{ id: string }>(
    `select id from runs where status <> 'succeeded' order by created_at limit 5`,
  );
  const total = rows.reduce((sum, r) => sum + r.n, 0);
  const summary = rows.map((r) => `${r.workflow} ${r.status} ${r.n}`).join(", ");
  if (bad.length === 0) return { name: "every run succeeded", ok: true, detail: `${total} runs (${summary})` };
  return {
    name: "every run succeeded",
    ok: false,
    detail: `${summary}\n${await describeRuns(
      db,
      bad.map((r) => r.id),
    )}`,
  };
}

export async function attemptsDisjoint(db: RehearsalDatabase): Promise<Check> {
  const overlaps = await db.query<{
    step_id: string;
    fence: string;
    next_fence: string;
    e: Date;
    next_s: Date;
    outcomes: string;
    name: string;
    item_index: number;
    run_id: string;
  }>(
    `with per_fence as (
       select step_id, fence,
              coalesce(min(started_at) filter (where outcome <> 'lease_expired'), min(started_at)) as s,
              coalesce(least(max(finished_at) filter (where outcome <> 'lease_expired'), min(finished_at) filter (where outcome = 'lease_expired')),
                       max(finished_at)) as e,
              string_agg(outcome, '+' order by id) as outcomes
         from step_attempts group by step_id, fence),
     ordered as (
       select *, lead(s) over w as next_s, lead(fence) over w as next_fence from per_fence window w as (partition by step_id order by fence))
     select o.step_id, o.fence, o.next_fence, o.e, o.next_s, o.outcomes, st.name, st.item_index, st.run_id
       from ordered o join steps st on st.id = o.step_id
      where o.next_s is not null and o.e > o.next_s + interval '2 milliseconds'
      limit 10`,
  );
  const [stats] = await db.query<{ attempts: number; steps: number; lease_expired: number; discarded: number }>(
    `select count(*)::int as attempts, count(distinct step_id)::int as steps,
            count(*) filter (where outcome = 'lease_expired')::int as lease_expired,
            count(*) filter (where outcome = 'discarded')::int as discarded
       from step_attempts`,
  );
  const summary = `${stats!.attempts} attempts of ${stats!.steps} steps (${stats!.lease_expired} lease_expired, ${stats!.discarded} discarded)`;
  if (overlaps.length === 0) return { name: "no overlapping attempts", ok: true, detail: summary };
  const lines = overlaps.map(
    (o) =>
      `  run ${o.run_id} step ${o.name}${o.item_index >= 0 ? `[${o.item_index}]` : ""}: fence ${o.fence} (${o.outcomes}) ended ${o.e.toISOString()} after fence ${o.next_fence} began ${o.next_s.toISOString()}`,
  );
  return { name: "no overlapping attempts", ok: false, detail: `${summary}\n${lines.join("\n")}` };
}

export async function receiverNoOverlap(receiver: Receiver): Promise<Check> {
  return {
    name: "no http step called twice at once",
    ok: receiver.overlaps.length === 0,
    detail:
      receiver.overlaps.length === 0 ? `${receiver.calls} calls received` : receiver.overlaps.slice(0, 5).join("\n"),
  };
}

export async function shopifyDeliveriesOnce(db: RehearsalDatabase, expected: number): Promise<Check> {
  const [row] = await db.query<{
    deliveries: number;
    unique_ids: number;
    processed: number;
    orders: number;
    created: number;
  }>(
    `select (select count(*)::int from shopify_deliveries where shop_domain = $1) as deliveries,
            (select count(distinct webhook_id)::int from shopify_deliveries where shop_domain = $1) as unique_ids,
            (select count(*)::int from shopify_deliveries where shop_domain = $1 and status = 'processed') as processed,
            (select count(*)::int from orders where shop_domain = $1) as orders,
            (select count(*)::int from events e where e.topic = 'order.created'
               and (e.data->>'orderId') in (select id::text from orders where shop_domain = $1)) as created`,
    [SHOP],
  );
  const r = row!;
  const ok =
    r.deliveries === expected &&
    r.unique_ids === expected &&
    r.processed === expected &&
    r.orders === expected &&
    r.created === expected;
  return {
    name: "every Shopify delivery stored once and processed",
    ok,
    detail: `${r.deliveries} stored (${r.unique_ids} webhook ids), ${r.processed} processed, ${r.orders} orders, ${r.created} order.created events; expected ${expected} each`,
  };
}

export async function publishedEventsPresent(db: RehearsalDatabase, expected: number): Promise<Check> {
  const [row] = await db.query<{ n: number; keys: number }>(
    `select count(*)::int as n, count(distinct dedupe_key)::int as keys from events where topic = $1 and dedupe_key like 'rehearsal-wait-%'`,
    [WAIT_TOPIC],
  );
  return {
    name: "every published event stored once",
    ok: row!.n === expected && row!.keys === expected,
    detail: `${row!.n} ${WAIT_TOPIC} events (${row!.keys} dedupe keys), expected ${expected}`,
  };
}

export function noLive5xx(stats: ProxyStats): Check {
  const failures = [...stats.live5xx, ...stats.liveResets];
  return {
    name: "no 5xx from a live server",
    ok: failures.length === 0,
    detail:
      failures.length === 0
        ? `${stats.requests} requests through the production domain; ${stats.killed502} 502s from killed instances (${stats.retried} retried on another)`
        : failures
            .slice(0, 10)
            .map(
              (f) =>
                `  ${f.at} ${f.method} ${f.path} → ${f.status} from :${f.backend}${f.error ? ` (${f.error})` : ""}`,
            )
            .join("\n"),
  };
}
