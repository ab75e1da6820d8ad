/**
 * Outgoing webhooks (the event bus's third kind of subscriber, beside workflow triggers and
 * `wait_for_event` steps).
 *
 * - Fan-out: `fanOutEvent` runs inside the publication's transaction: one delivery row per
 *   matching active subscription, so an event and its deliveries commit together (none lost).
 * - Delivery: `deliverDueEvents` (the housekeeping, every 5 s) claims due deliveries with
 *   `for update skip locked`, POSTs `{id, topic, data, createdAt, deliveryId}` signed like our
 *   internal calls (`X-Orchestrator-Signature: t=…,v1=HMAC(secret, "t.body")`) with the
 *   subscription's secret, and records the answer: 2xx → delivered; anything else → retried
 *   with backoff (30 s × 2^n, at most 1 h); after MAX_ATTEMPTS → `dead` (visible, re-drivable
 *   with `retryDelivery`). At least once: a subscriber must deduplicate on `deliveryId` / `id`.
 * - Ordering: with an `ordering_key`, a delivery waits while an earlier event's delivery of the
 *   same key and subscription is still pending (a dead one no longer blocks: it is out of the
 *   line until re-driven).
 * - Replay: `replayEvents` re-delivers a range of events (new rows, or pending again).
 * Subscriber URLs are under the outbound policy (src/integrations/outbound): a URL whose host is
 * a private, loopback or other refused address is refused at creation (400), and every send
 * checks the address it connects to (a name that resolves or rebinds to a refused address is
 * refused then: the delivery goes dead at once with the policy's message, re-drivable once the
 * host is fixed or listed in HTTP_STEP_ALLOWED_HOSTS).
 */
import { randomBytes } from "node:crypto";
import { TreeInterpreter } from "@jmespath-community/jmespath";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import type { EventDeliveryStatus } from "@/db/schema";
import { compileExpression, singleTemplate, splitTemplates } from "@/engine/definition/template-parse";
import { toIso, toNumber } from "@/db/rows";
import { signBody, SIGNATURE_HEADER } from "@/auth/signature";
import { NotFoundError } from "@/errors";
import { checkOutboundUrl, describeOutboundFailure, outboundFetch, OutboundRefused } from "@/integrations/outbound";
import { log } from "@/observability/log";
import { decryptField, encryptField } from "@/privacy/crypto";

export const MAX_ATTEMPTS = 8;
const SECRET_CONTEXT = "event_subscriptions.secret";
const SEND_TIMEOUT_MS = 10_000;

const TOPIC_PATTERN = /^(\*|[A-Za-z0-9_:/-]+(\.[A-Za-z0-9_:/-]+)*(\.\*)?)$/;

function orderingExpression(template: string): string {
  const split = splitTemplates(template);
  const expression = split.ok ? singleTemplate(split.parts) : undefined;
  if (!expression) throw new Error("must be one template, like {{ data.orderId }}");
  const compiled = compileExpression(expression);
  if (!compiled.ok) throw new Error(compiled.message);
  return expression;
}

/** A refinement from a check that throws: the thrown message becomes the field's issue. */
function issueOnThrow<T>(check: (value: T) => unknown) {
  return (value: T, ctx: z.RefinementCtx) => {
    try {
      check(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: error instanceof Error ? error.message : String(error) });
    }
  };
}

export const subscriptionInput = z.strictObject({
  /** A topic, `prefix.*`, or `*`. */
  topic: z.string().min(1).max(200).regex(TOPIC_PATTERN, "a topic, `prefix.*` or `*`"),
  url: z
    .url({ protocol: /^https?$/, message: "must be an http(s) URL" })
    .max(2000)
    .superRefine(issueOnThrow((url: string) => checkOutboundUrl(url))),
  /** The signing secret; generated (and shown once) when absent. */
  secret: z.string().min(16).max(200).optional(),
  orderingKey: z.string().max(500).superRefine(issueOnThrow(orderingExpression)).optional(),
});

export interface SubscriptionView {
  id: string;
  topic: string;
  url: string;
  orderingKey: string | null;
  active: boolean;
  createdAt: string;
}

type SubscriptionRow = {
  id: string;
  topic_pattern: string;
  url: string;
  secret: string;
  ordering_key: string | null;
  active: boolean;
  created_at: unknown;
};

const view = (r: SubscriptionRow): SubscriptionView => ({
  id: r.id,
  topic: r.topic_pattern,
  url: r.url,
  orderingKey: r.ordering_key,
  active: r.active,
  createdAt: toIso(r.created_at)!,
});

export async function createSubscription(
  db: Db,
  input: z.output<typeof subscriptionInput>,
): Promise<{ subscription: SubscriptionView; secret: string }> {
  const secret = input.secret ?? `whsec_${randomBytes(24).toString("base64url")}`;
  const [row] = await queryRows<SubscriptionRow>(
    db,
    sql`insert into event_subscriptions (topic_pattern, url, secret, ordering_key)
        values (${input.topic}, ${input.url}, ${encryptField(secret, SECRET_CONTEXT)}, ${input.orderingKey ?? null}) returning *`,
  );
  return { subscription: view(row!), secret };
}

export async function listSubscriptions(db: Db): Promise<SubscriptionView[]> {
  return (await queryRows<SubscriptionRow>(db, sql`select * from event_subscriptions order by created_at, id`)).map(
    view,
  );
}

export async function deleteSubscription(db: Db, id: string): Promise<void> {
  const rows = await queryRows<{ id: string }>(db, sql`delete from event_subscriptions where id = ${id} returning id`);
  if (rows.length === 0) throw new NotFoundError(`No event subscription has the id ${id}.`);
}

export function topicMatches(pattern: string, topic: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith(".*")) return topic.startsWith(pattern.slice(0, -1));
  return pattern === topic;
}

function orderingValue(template: string | null, event: { id: number; topic: string; data: unknown }): string | null {
  if (!template) return null;
  try {
    const compiled = compileExpression(orderingExpression(template));
    if (!compiled.ok) return null;
    const value: unknown = TreeInterpreter.search(compiled.ast, {
      id: event.id,
      topic: event.topic,
      data: event.data,
    } as never);
    return value === null || value === undefined ? null : typeof value === "string" ? value : JSON.stringify(value);
  } catch {
    return null; // an event without the key is delivered without ordering, never dropped
  }
}

/**
 * In the publication's transaction: one delivery per matching active subscription.
 *
 * The subscriptions are read on every publication (one small query) rather than cached per
 * process, on purpose: a subscription created on another serverless instance would be missing
 * from a cache until it expired, and the events published meanwhile would never be delivered to
 * it. At least once outweighs a sub-millisecond query.
 */
export async function fanOutEvent(tx: Db, event: { id: number; topic: string; data: unknown }): Promise<number> {
  const subs = await queryRows<{ id: string; topic_pattern: string; ordering_key: string | null }>(
    tx,
    sql`select id, topic_pattern, ordering_key from event_subscriptions where active`,
  );
  const matching = subs.filter((s) => topicMatches(s.topic_pattern, event.topic));
  if (matching.length === 0) return 0;
  const rows = matching.map((s) => ({
    subscription_id: s.id,
    event_id: event.id,
    ordering_value: orderingValue(s.ordering_key, event),
  }));
  await tx.execute(sql`insert into event_deliveries (subscription_id, event_id, ordering_value)
    select subscription_id, event_id, ordering_value from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as r(subscription_id uuid, event_id bigint, ordering_value text)
    on conflict (subscription_id, event_id) do nothing`);
  return matching.length;
}

type DueRow = {
  id: unknown;
  attempts: unknown;
  url: string;
  secret: string;
  event_id: unknown;
  topic: string;
  data: unknown;
  created_at: unknown;
};

/**
 * Milliseconds until the earliest delivery the housekeeping would send (0: one is due now), or
 * null. A delivery held behind an earlier pending one of its ordering key is not counted: it is
 * not sendable until that one is (its own time comes then). `event_deliveries_due_idx` and
 * `event_deliveries_ordering_idx`.
 */
export async function nextDeliveryDueInMs(db: Db): Promise<number | null> {
  const [row] = await queryRows<{ ms: unknown }>(
    db,
    sql`select extract(epoch from (d.next_attempt_at - now())) * 1000 as ms
        from event_deliveries d
        where d.status = 'pending'
          and (d.ordering_value is null or not exists (
            select 1 from event_deliveries p where p.subscription_id = d.subscription_id and p.ordering_value = d.ordering_value
              and p.status = 'pending' and p.event_id < d.event_id))
        order by d.next_attempt_at limit 1`,
  );
  return row ? Math.max(0, Math.ceil(toNumber(row.ms))) : null;
}

/**
 * Delivers up to `limit` due deliveries, one transaction each (the row stays locked during its
 * POST, bounded by SEND_TIMEOUT_MS, so two deliverers never send it at once).
 */
export async function deliverDueEvents(
  db: Db,
  params: { limit: number },
): Promise<Record<"delivered" | "retrying" | "dead", number>> {
  const counts = { delivered: 0, retrying: 0, dead: 0 };
  for (let i = 0; i < params.limit; i++) {
    const outcome = await db.transaction(async (tx) => {
      const [row] = await queryRows<DueRow>(
        tx,
        sql`select d.id, d.attempts, s.url, s.secret, e.id as event_id, e.topic, e.data, e.created_at
            from event_deliveries d
            join event_subscriptions s on s.id = d.subscription_id
            join events e on e.id = d.event_id
            where d.status = 'pending' and d.next_attempt_at <= now()
              and (d.ordering_value is null or not exists (
                select 1 from event_deliveries p where p.subscription_id = d.subscription_id and p.ordering_value = d.ordering_value
                  and p.status = 'pending' and p.event_id < d.event_id))
            order by d.next_attempt_at, d.id limit 1
            for update of d skip locked`,
      );
      if (!row) return null;
      const id = toNumber(row.id);
      const body = JSON.stringify({
        id: toNumber(row.event_id),
        topic: row.topic,
        data: row.data,
        createdAt: toIso(row.created_at),
        deliveryId: id,
      });
      let error: string | null = null;
      let refused = false;
      try {
        // Checked at every send, at connection time: a public name may resolve (or rebind) to a private address.
        const res = await outboundFetch(row.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            [SIGNATURE_HEADER]: signBody(decryptField(row.secret, SECRET_CONTEXT), body),
          },
          body,
          signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        });
        await res.body?.cancel();
        if (res.status < 200 || res.status >= 300) error = `answered ${res.status}`;
      } catch (failure) {
        // Decision: a policy refusal is not retried (it would be refused again, 8 times over hours): dead at once.
        refused = failure instanceof OutboundRefused;
        error = (
          failure instanceof Error ? `${failure.name}: ${describeOutboundFailure(failure)}` : "unknown error"
        ).slice(0, 300);
      }
      const attempts = toNumber(row.attempts) + 1;
      if (!error) {
        await tx.execute(
          sql`update event_deliveries set status = 'delivered', attempts = ${attempts}, delivered_at = now(), last_error = null where id = ${id}`,
        );
        return "delivered" as const;
      }
      const dead = refused || attempts >= MAX_ATTEMPTS;
      await tx.execute(sql`update event_deliveries set attempts = ${attempts}, last_error = ${error},
        status = ${dead ? "dead" : "pending"},
        next_attempt_at = now() + least(30 * power(2, ${attempts - 1}), 3600) * interval '1 second' where id = ${id}`);
      log.warn(dead ? "event delivery dead" : "event delivery failed, will retry", { deliveryId: id, attempts, error });
      return dead ? ("dead" as const) : ("retrying" as const);
    });
    if (!outcome) break;
    counts[outcome] += 1;
  }
  return counts;
}

export interface DeliveryView {
  id: number;
  subscriptionId: string;
  eventId: number;
  status: EventDeliveryStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}

type DeliveryRow = {
  id: unknown;
  subscription_id: string;
  event_id: unknown;
  status: EventDeliveryStatus;
  attempts: unknown;
  last_error: string | null;
  next_attempt_at: unknown;
  delivered_at: unknown;
};

const deliveryView = (r: DeliveryRow): DeliveryView => ({
  id: toNumber(r.id),
  subscriptionId: r.subscription_id,
  eventId: toNumber(r.event_id),
  status: r.status,
  attempts: toNumber(r.attempts),
  lastError: r.last_error,
  nextAttemptAt: r.status === "pending" ? toIso(r.next_attempt_at) : null,
  deliveredAt: toIso(r.delivered_at),
});

/** Newest first, in pages below `before` (an id). */
export async function listDeliveries(
  db: Db,
  params: { status?: EventDeliveryStatus; before?: number; limit: number },
): Promise<{ deliveries: DeliveryView[]; nextCursor: string | null }> {
  const rows = await queryRows<DeliveryRow>(
    db,
    sql`select id, subscription_id, event_id, status, attempts, last_error, next_attempt_at, delivered_at from event_deliveries
        where (${params.status ?? null}::text is null or status = ${params.status ?? null})
          and (${params.before ?? null}::bigint is null or id < ${params.before ?? null})
        order by id desc limit ${params.limit + 1}`,
  );
  const page = rows.slice(0, params.limit).map(deliveryView);
  return {
    deliveries: page,
    nextCursor: rows.length > params.limit && page.length > 0 ? String(page.at(-1)!.id) : null,
  };
}

/** Re-drives a delivery (dead, or pending with a later retry time): pending now, attempts from zero. */
export async function retryDelivery(db: Db, id: number): Promise<DeliveryView> {
  const [row] = await queryRows<DeliveryRow>(
    db,
    sql`update event_deliveries set status = case when status = 'delivered' then status else 'pending' end,
          attempts = case when status = 'delivered' then attempts else 0 end, next_attempt_at = now()
        where id = ${id} returning id, subscription_id, event_id, status, attempts, last_error, next_attempt_at, delivered_at`,
  );
  if (!row) throw new NotFoundError(`No event delivery has the id ${id}.`);
  return deliveryView(row);
}

export const replayInput = z
  .strictObject({
    fromId: z.number().int().min(1),
    toId: z.number().int().min(1).optional(),
    topic: z.string().min(1).max(200).optional(),
    subscriptionId: z.guid().optional(),
  })
  .refine((r) => r.toId === undefined || r.toId >= r.fromId, {
    message: "toId must not be below fromId",
    path: ["toId"],
  });

/** Re-delivers the events of a range to the matching subscriptions (or one): new deliveries, or delivered/dead ones pending again. */
export async function replayEvents(db: Db, input: z.output<typeof replayInput>): Promise<{ deliveries: number }> {
  const events = await queryRows<{ id: unknown; topic: string; data: unknown }>(
    db,
    sql`select id, topic, data from events where id >= ${input.fromId} and (${input.toId ?? null}::bigint is null or id <= ${input.toId ?? null})
          and (${input.topic ?? null}::text is null or topic = ${input.topic ?? null}) order by id limit 10000`,
  );
  const subs = await queryRows<{ id: string; topic_pattern: string; ordering_key: string | null }>(
    db,
    sql`select id, topic_pattern, ordering_key from event_subscriptions where active and (${input.subscriptionId ?? null}::uuid is null or id = ${input.subscriptionId ?? null}::uuid)`,
  );
  const rows = events.flatMap((e) => {
    const event = { id: toNumber(e.id), topic: e.topic, data: e.data };
    return subs
      .filter((s) => topicMatches(s.topic_pattern, e.topic))
      .map((s) => ({
        subscription_id: s.id,
        event_id: event.id,
        ordering_value: orderingValue(s.ordering_key, event),
      }));
  });
  if (rows.length === 0) return { deliveries: 0 };
  await db.execute(sql`insert into event_deliveries (subscription_id, event_id, ordering_value)
    select subscription_id, event_id, ordering_value from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as r(subscription_id uuid, event_id bigint, ordering_value text)
    on conflict (subscription_id, event_id) do update set status = 'pending', attempts = 0, next_attempt_at = now(), delivered_at = null`);
  return { deliveries: rows.length };
}
