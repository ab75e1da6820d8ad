/**
 * Events: append-only rows. Publishing one, in the publisher's transaction:
 * - wakes the `wait_for_event` steps waiting on its topic whose `match` accepts it (`wait_since`
 *   is the run's start: a wait sees every event published since its run started);
 * - starts one run of every workflow triggered by the topic whose filter accepts it, with the
 *   idempotency key `event:<id>`, so a replay never starts a second run.
 * A `dedupe_key` makes publication idempotent: the second publication returns the first event.
 *
 * A wait that begins after its event was published (the tick reached the step late) finds it
 * when it parks (`findPublishedEvent`). The two sides serialise on one advisory lock per topic:
 * a publication holds it shared until it commits, a parking wait takes it exclusively before it
 * looks. So either the wait sees the committed event, or the publication sees the waiting step;
 * an event can never slip between the two.
 */
import { fanOutEvent } from "@/events/subscriptions";
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { isTruthy, renderTemplates, type StepDefinition, type TemplateScope } from "./definition";
import type { RunContext } from "./execute";
import { settleStep } from "./progress";
import { getPlan, listLatestDefinitions } from "./registry";
import { selectRunOutputs } from "./sql/run-contexts";
import { selectWaiting, takeEvent } from "./sql/wake-waiting";
import { toIso, toNumber } from "@/db/rows";
import { startRun } from "./start-run";

export interface PublishParams {
  topic: string;
  data?: unknown;
  source: string;
  dedupeKey?: string | null;
}

export interface EventView {
  id: number;
  topic: string;
  data: unknown;
  source: string;
  dedupeKey: string | null;
  createdAt: string;
}

export interface Published {
  id: number;
  topic: string;
  duplicate: boolean;
  /** Runs this event started (empty for a duplicate). */
  runIds: string[];
}

interface EventRow {
  id: unknown;
  topic: string;
  data: unknown;
  source: string;
  dedupe_key: string | null;
  created_at: unknown;
}

function toView(r: EventRow): EventView {
  return {
    id: toNumber(r.id),
    topic: r.topic,
    data: r.data,
    source: r.source,
    dedupeKey: r.dedupe_key,
    createdAt: toIso(r.created_at)!,
  };
}

export async function publishEvent(db: Db, params: PublishParams): Promise<Published> {
  return db.transaction((tx) => publishEventInTx(tx, params));
}

export async function publishEventInTx(tx: Db, params: PublishParams): Promise<Published> {
  const inserted = await queryRows<EventRow>(
    tx,
    sql`insert into events (topic, data, source, dedupe_key)
        select ${params.topic}, ${JSON.stringify(params.data ?? null)}::jsonb, ${params.source}, ${params.dedupeKey ?? null}
        from (select pg_advisory_xact_lock_shared(${waitLockKey(params.topic)})) as wait_lock
        on conflict (dedupe_key) do nothing
        returning id, topic, data, source, dedupe_key, created_at`,
  );
  if (inserted.length === 0) {
    const [existing] = await queryRows<EventRow>(
      tx,
      sql`select id, topic from events where dedupe_key = ${params.dedupeKey ?? null}`,
    );
    return { id: toNumber(existing!.id), topic: existing!.topic, duplicate: true, runIds: [] };
  }
  const event = toView(inserted[0]!);
  await wakeWaitingSteps(tx, event);
  // Outgoing webhooks: their delivery rows commit with the event (src/events/subscriptions.ts).
  await fanOutEvent(tx, event);
  const runIds = await startTriggeredRuns(tx, event);
  return { id: event.id, topic: event.topic, duplicate: false, runIds };
}

/** The advisory lock that orders publications of a topic and waits that begin on it. */
function waitLockKey(topic: string) {
  return sql`hashtext(${"event-wait:" + topic})`;
}

/** Does the wait's `match` accept this event (no `match`: every event of its topic)? */
function waitMatches(
  def: StepDefinition & { kind: "wait_for_event" },
  scope: TemplateScope & { event: EventView },
): boolean {
  if (def.waitForEvent.match === undefined) return true;
  let matched: unknown;
  try {
    matched = renderTemplates(def.waitForEvent.match, scope);
  } catch {
    return false; // an expression that cannot evaluate on this event does not match it
  }
  return isTruthy(matched);
}

/**
 * How many of a topic's newest events a wait looks through when it begins: the bound of the
 * lookback (events published since the run started, newest 1,000 of the topic).
 */
export const WAIT_LOOKBACK_EVENTS = 1_000;

/**
 * For a `wait_for_event` step about to park: the earliest event of its topic published since its
 * run started that its `match` accepts, not the run's own trigger event and not one another wait
 * of the run already took. Takes the topic's wait lock exclusively first (see the top of this
 * file), so it must be the first statement of the parking transaction.
 */
export async function findPublishedEvent(
  tx: Db,
  run: RunContext,
  stepName: string,
  topic: string,
): Promise<EventView | null> {
  const def = run.plan.step(stepName);
  if (!def || def.kind !== "wait_for_event") return null;
  await tx.execute(sql`select pg_advisory_xact_lock(${waitLockKey(topic)})`);
  const trigger = run.trigger as { type?: unknown; id?: unknown } | null;
  const triggerId = trigger?.type === "event" && typeof trigger.id === "number" ? trigger.id : -1;
  const rows = await queryRows<EventRow>(
    tx,
    sql`select e.id, e.topic, e.data, e.source, e.dedupe_key, e.created_at
        from (select id, topic, data, source, dedupe_key, created_at from events where topic = ${topic}
              order by id desc limit ${WAIT_LOOKBACK_EVENTS}) e
        where e.created_at >= (select created_at from runs where id = ${run.id}) and e.id <> ${triggerId}
          and not exists (select 1 from steps w where w.run_id = ${run.id} and w.kind = 'wait_for_event' and w.status = 'succeeded'
                          and w.output->>'id' = e.id::text)
        order by e.id`,
  );
  for (const row of rows) {
    const event = toView(row);
    const scope = {
      input: run.input,
      trigger: run.trigger,
      steps: run.outputs,
      run: { id: run.id, workflow: run.workflow, version: run.version },
      event,
    };
    if (waitMatches(def, scope)) return event;
  }
  return null;
}

/**
 * Wakes the waits this event matches. Candidates are read without locks and matched; only the
 * matching rows are then taken, each by an update conditional on the step still waiting (in id
 * order, so publishers never deadlock on them; a row another publisher, a timeout or a cancel
 * got first is simply not updated), and settled once all are taken. Locking every waiting step
 * of the topic instead (`skip locked`) made a concurrent publication of the same topic skip the
 * step its own event matched, and that wake-up was lost (seen in the rehearsal: 6 of 10 waits
 * timed out when their events came within 0.4 s).
 */
async function wakeWaitingSteps(tx: Db, event: EventView): Promise<void> {
  const waiting = await selectWaiting(tx, event.topic, event.createdAt);
  const woken: { runId: string; name: string; itemIndex: number; plan: Awaited<ReturnType<typeof getPlan>> }[] = [];
  for (const w of waiting) {
    const plan = await getPlan(tx, w.workflow, toNumber(w.version));
    const def = plan.step(w.name);
    if (!def || def.kind !== "wait_for_event") continue;
    if (def.waitForEvent.match !== undefined) {
      const outputs = await selectRunOutputs(tx, w.run_id);
      const scope = {
        input: w.input,
        trigger: w.trigger,
        steps: Object.fromEntries(outputs.map((o) => [o.name, { output: o.output }])),
        run: { id: w.run_id, workflow: w.workflow, version: toNumber(w.version) },
        event,
      };
      if (!waitMatches(def, scope)) continue;
    }
    if (await takeEvent(tx, toNumber(w.id), event.topic, event))
      woken.push({ runId: w.run_id, name: w.name, itemIndex: toNumber(w.item_index), plan });
  }
  for (const w of woken) await settleStep(tx, { id: w.runId, plan: w.plan }, w.name, w.itemIndex, "succeeded");
}

async function startTriggeredRuns(tx: Db, event: EventView): Promise<string[]> {
  const runIds: string[] = [];
  for (const registered of await listLatestDefinitions(tx)) {
    const trigger = registered.definition.trigger;
    if (trigger.type !== "event" || trigger.topic !== event.topic) continue;
    if (trigger.filter !== undefined) {
      let accepted: unknown;
      try {
        const trig = { id: event.id, topic: event.topic, data: event.data };
        accepted = renderTemplates(trigger.filter, {
          input: event.data,
          trigger: trig,
          steps: {},
          run: { id: "", workflow: registered.name, version: registered.version },
          event,
        });
      } catch {
        accepted = false;
      }
      if (!isTruthy(accepted)) continue;
    }
    const started = await startRun(tx, {
      workflow: registered.name,
      version: registered.version,
      input: event.data,
      idempotencyKey: `event:${event.id}`,
      trigger: { type: "event", id: event.id, topic: event.topic, data: event.data },
    });
    runIds.push(started.id);
  }
  return runIds;
}

export interface ListEventsParams {
  topic?: string;
  /** Events with an id above this one. */
  after?: number;
  /** `asc` (default): publication order after `after`; `desc`: newest first, below `before`. */
  order?: "asc" | "desc";
  /** With `desc`: events with an id below this one. */
  before?: number;
  limit: number;
}

export async function listEvents(
  db: Db,
  params: ListEventsParams,
): Promise<{ events: EventView[]; nextCursor: string | null }> {
  const topic = params.topic ?? null;
  // Both orders walk the primary key (or events_topic_id_idx with a topic), forwards or backwards.
  const rows = await queryRows<EventRow>(
    db,
    params.order === "desc"
      ? sql`select id, topic, data, source, dedupe_key, created_at from events
            where (${topic}::text is null or topic = ${topic})
              and (${params.before ?? null}::bigint is null or id < ${params.before ?? null})
            order by id desc limit ${params.limit + 1}`
      : sql`select id, topic, data, source, dedupe_key, created_at from events
            where (${topic}::text is null or topic = ${topic})
              and id > ${params.after ?? 0}
            order by id limit ${params.limit + 1}`,
  );
  const page = rows.slice(0, params.limit).map(toView);
  return { events: page, nextCursor: rows.length > params.limit && page.length > 0 ? String(page.at(-1)!.id) : null };
}
