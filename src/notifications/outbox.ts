/**
 * The notification outbox: a message is stored first (`enqueueMessage`), then delivered with
 * retries (`deliverMessage` at once, `deliverPendingMessages` from a periodic sweep).
 *
 * Statuses: `pending` (to send; `next_attempt_at` null or the time of the next try), `sent`,
 * `failed` (8 failed attempts), `kept` (the channel is not configured: stored, shown to
 * operators, never lost, never sent). `attempts` counts every try, the successful one included;
 * `last_error` keeps the latest failure even after a later success.
 *
 * Locking. A deliverer claims one due row with `SELECT … FOR UPDATE SKIP LOCKED` and keeps the
 * row lock, in that transaction, for the whole send, then records the result and commits. A
 * concurrent deliverer skips the locked row, and once the lock is released re-checks the row's
 * status and sees it `sent` or rescheduled: two deliverers never send one message at the same
 * time. The price is a transaction open during the send, so each send is bounded by
 * SEND_TIMEOUT_MS (15 s) and each row gets its own short transaction. The other design (mark
 * the row as being sent, commit, send) needs a `sending` status and a lease, which the schema
 * does not have. On PGlite (one connection) an open transaction makes every other query
 * wait, so there a slow server delays the whole process by up to 15 s per message.
 *
 * Delivery is at least once: if the process dies after the server accepted a message but
 * before the commit, the transaction rolls back and the message is sent again later.
 *
 * Claims are served by `outbox_status_idx (status, next_attempt_at)`.
 *
 * Personal messages (`personal: true`, e.g. an email to a customer) store `recipient`, `body`
 * and `rich` as `encryptField` tokens (contexts in OUTBOX_CONTEXT, registered for
 * `npm run keys:rotate`), so a database dump shows neither the address nor the text. The
 * subject stays in clear (operators list and search it): it must not contain personal data.
 * Other messages (operator alerts, Slack) stay in clear. Delivery decrypts in one place
 * (`readable`), so channels always receive plaintext. Stored errors (`last_error`, and the
 * log) have channel secrets scrubbed and every email address masked (`j***@example.com`), and
 * a personal message's recipient is removed from them even when it is not an address.
 */
import { and, asc, eq, isNull, lte, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "@/db/client";
import { outbox, type OUTBOX_STATUSES } from "@/db/schema";
import { readEnv, type Env } from "@/env";
import { log } from "@/observability/log";
import { encryptField, isEncrypted } from "@/privacy/crypto";
import { maskEmails } from "@/privacy/mask";
import {
  CHANNELS,
  channelSecrets,
  describeFailure,
  scrubSecrets,
  type OutboxChannel,
  type OutgoingMessage,
} from "./channels";
import { openField, OUTBOX_CONTEXT } from "./personal";

export type { OutboxChannel } from "./channels";
export { OUTBOX_CONTEXT } from "./personal";
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** The longest a send may hold its row lock. */
export const SEND_TIMEOUT_MS = 15_000;
/** After this many failed attempts a message is `failed`. */
export const MAX_ATTEMPTS = 8;

/**
 * Backoff after a failure, in SQL: 30 s × 2^(attempts − 1) where `attempts` counts the failure
 * just recorded (the SET reads the old value, hence `2^attempts`), capped at 1 h.
 * 30 s, 1 min, 2 min, 4 min, 8 min, 16 min, 32 min: about 1 h 3 min before the 8th attempt
 * (the cap only matters if MAX_ATTEMPTS grows).
 */
const NEXT_ATTEMPT_AT = sql`now() + least(30 * power(2, ${outbox.attempts}), 3600) * interval '1 second'`;

export interface EnqueueMessageParams {
  channel: OutboxChannel;
  recipient: string;
  subject: string;
  body: string;
  /** HTML for email, Slack blocks as JSON for Slack. */
  rich?: string | null;
  /** A repeated key stores nothing and answers the message stored first. */
  dedupeKey?: string | null;
  /** Store as `kept` even when the channel is configured (no usable recipient). */
  keep?: boolean;
  /**
   * A message to or about a person (a customer's email): `recipient`, `body` and `rich` are
   * stored encrypted (`encryptField`, contexts OUTBOX_CONTEXT) and decrypted only to send.
   * The `subject` is stored and listed in clear, so it MUST NOT contain personal data (no
   * name, address or email): put only e.g. the order name there. Default false: operator
   * alerts and Slack messages stay in clear.
   */
  personal?: boolean;
}

export interface EnqueuedMessage {
  id: string;
  status: OutboxStatus;
  /** False when the dedupe key was already stored: `id` and `status` are the existing message's. */
  created: boolean;
}

/**
 * Stores a message: `pending` when its channel is configured (email: SMTP_URL, Slack:
 * SLACK_WEBHOOK_URL), else `kept`. Runs in the caller's transaction when given one.
 * With `personal: true`, the recipient, body and rich text are stored encrypted.
 *
 * @example
 *   const message = await enqueueMessage(db, { channel: "email", recipient: "a@b.c", subject: "Hi", body: "…", dedupeKey: key });
 *   if (message.status === "pending") await deliverMessage(db, message.id);
 */
export async function enqueueMessage(db: Db, params: EnqueueMessageParams): Promise<EnqueuedMessage> {
  const env = readEnv();
  const status: OutboxStatus = !params.keep && CHANNELS[params.channel].isConfigured(env) ? "pending" : "kept";
  const seal = (text: string, context: string) => (params.personal ? encryptField(text, context) : text);
  const values = {
    channel: params.channel,
    recipient: seal(params.recipient, OUTBOX_CONTEXT.recipient),
    subject: params.subject,
    body: seal(params.body, OUTBOX_CONTEXT.body),
    rich: params.rich == null ? null : seal(params.rich, OUTBOX_CONTEXT.rich),
    dedupeKey: params.dedupeKey ?? null,
    status,
  };
  const returning = { id: outbox.id, status: outbox.status };
  if (values.dedupeKey === null) {
    const [row] = await db.insert(outbox).values(values).returning(returning);
    if (!row) throw new Error("the outbox insert returned no row");
    return { ...row, created: true };
  }
  // ON CONFLICT DO NOTHING waits for a concurrent insert of the same key to commit, so the
  // select below finds that message.
  const [inserted] = await db
    .insert(outbox)
    .values(values)
    .onConflictDoNothing({ target: outbox.dedupeKey })
    .returning(returning);
  if (inserted) return { ...inserted, created: true };
  const [existing] = await db.select(returning).from(outbox).where(eq(outbox.dedupeKey, values.dedupeKey));
  if (!existing) throw new Error("an outbox message with this dedupe key was removed while enqueuing");
  return { ...existing, created: false };
}

/** `sent`; `retrying`: failed, rescheduled; `failed`: failed for the last time; `kept`: its channel is no longer configured. */
export type DeliveryOutcome = "sent" | "retrying" | "failed" | "kept";

export interface DeliveryResult {
  id: string;
  /** `skipped`: not claimed (not pending, not due yet, or being sent by another deliverer). */
  outcome: DeliveryOutcome | "skipped";
  /** The message's status afterwards; null when no such message exists. */
  status: OutboxStatus | null;
}

export type DeliveryCounts = Record<DeliveryOutcome, number>;

export interface DeliveryOptions {
  /** Aborts a send in progress (it counts as a failed attempt); an aborted signal claims nothing. */
  signal?: AbortSignal;
}

const STATUS_AFTER: Record<DeliveryOutcome, OutboxStatus> = {
  sent: "sent",
  retrying: "pending",
  failed: "failed",
  kept: "kept",
};

type OutboxRow = typeof outbox.$inferSelect;

function isDue(): SQL | undefined {
  return and(eq(outbox.status, "pending"), or(isNull(outbox.nextAttemptAt), lte(outbox.nextAttemptAt, sql`now()`)));
}

/**
 * What the channel sends: the row with every encrypted field (a personal message's) decrypted.
 * Throws DecryptionError (whose message quotes no value) when a token cannot be read, e.g.
 * its key version was removed from ENCRYPTION_KEYS.
 */
function readable(row: OutboxRow): OutgoingMessage {
  return {
    recipient: openField(row.recipient, OUTBOX_CONTEXT.recipient),
    subject: row.subject,
    body: openField(row.body, OUTBOX_CONTEXT.body),
    rich: row.rich === null ? null : openField(row.rich, OUTBOX_CONTEXT.rich),
  };
}

/**
 * The failure as stored in `last_error` and logged: channel secrets scrubbed, email addresses
 * masked, and a personal message's recipient (plaintext, when it could be decrypted) removed.
 */
function storedError(error: unknown, env: Env, recipient: string | null): string {
  const masked = maskEmails(describeFailure(error, channelSecrets(env)));
  return recipient ? scrubSecrets(masked, [recipient]) : masked;
}

/** Runs the channel's send, bounded by SEND_TIMEOUT_MS even if the channel ignores its signal. */
async function sendBounded(
  channel: OutboxChannel,
  message: OutgoingMessage,
  env: Env,
  outer?: AbortSignal,
): Promise<void> {
  const timeout = AbortSignal.timeout(SEND_TIMEOUT_MS);
  const signal = outer ? AbortSignal.any([timeout, outer]) : timeout;
  const sending = CHANNELS[channel].send(message, env, signal);
  let stop: () => void = () => undefined;
  const stopped = new Promise<never>((_, reject) => {
    stop = () =>
      reject(
        timeout.aborted
          ? new Error(`the send timed out after ${SEND_TIMEOUT_MS} ms`)
          : new Error("the send was aborted"),
      );
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
  });
  // Whichever loses the race must not become an unhandled rejection.
  void sending.catch(() => undefined);
  void stopped.catch(() => undefined);
  try {
    await Promise.race([sending, stopped]);
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

/** Sends a claimed (locked) row and records the result in the same transaction. */
async function deliverClaimed(tx: Db, row: OutboxRow, signal?: AbortSignal): Promise<DeliveryOutcome> {
  const env = readEnv();
  const fields = { id: row.id, channel: row.channel };
  if (!CHANNELS[row.channel].isConfigured(env)) {
    await tx.update(outbox).set({ status: "kept", nextAttemptAt: null }).where(eq(outbox.id, row.id));
    log.warn("outbox message kept: its channel is not configured", fields);
    return "kept";
  }
  // Only a personal message's recipient needs removing from errors: the others are stored in clear.
  let personalRecipient: string | null = null;
  try {
    // Inside the try: an unreadable token is a failed attempt, not an error that would roll
    // back and leave the row due (and first in line) for every sweep.
    const message = readable(row);
    if (isEncrypted(row.recipient)) personalRecipient = message.recipient;
    await sendBounded(row.channel, message, env, signal);
  } catch (error) {
    const lastError = storedError(error, env, personalRecipient);
    const final = sql`${outbox.attempts} + 1 >= ${MAX_ATTEMPTS}`;
    const [updated] = await tx
      .update(outbox)
      .set({
        attempts: sql`${outbox.attempts} + 1`,
        lastError,
        status: sql`case when ${final} then 'failed' else 'pending' end`,
        nextAttemptAt: sql`case when ${final} then null else ${NEXT_ATTEMPT_AT} end`,
      })
      .where(eq(outbox.id, row.id))
      .returning({ status: outbox.status, attempts: outbox.attempts, nextAttemptAt: outbox.nextAttemptAt });
    const outcome = updated?.status === "failed" ? "failed" : "retrying";
    log.warn(outcome === "failed" ? "outbox message failed for good" : "outbox message not delivered, will retry", {
      ...fields,
      attempts: updated?.attempts,
      nextAttemptAt: updated?.nextAttemptAt,
      error: lastError,
    });
    return outcome;
  }
  await tx
    .update(outbox)
    .set({ status: "sent", sentAt: sql`now()`, attempts: sql`${outbox.attempts} + 1`, nextAttemptAt: null })
    .where(eq(outbox.id, row.id));
  log.info("outbox message sent", { ...fields, attempts: row.attempts + 1 });
  return "sent";
}

/**
 * Delivers one message now if it is pending and due, and not being sent by someone else.
 * A failed send is recorded (attempts, last_error, next_attempt_at), never thrown; database
 * errors are thrown.
 */
export async function deliverMessage(db: Db, id: string, options: DeliveryOptions = {}): Promise<DeliveryResult> {
  const { signal } = options;
  const outcome = signal?.aborted
    ? null
    : await db.transaction(async (tx) => {
        const [row] = await tx
          .select()
          .from(outbox)
          .where(and(eq(outbox.id, id), isDue()))
          .for("update", { skipLocked: true });
        return row ? deliverClaimed(tx, row, signal) : null;
      });
  if (outcome) return { id, outcome, status: STATUS_AFTER[outcome] };
  const [current] = await db.select({ status: outbox.status }).from(outbox).where(eq(outbox.id, id));
  return { id, outcome: "skipped", status: current?.status ?? null };
}

/**
 * Delivers up to `limit` due messages, oldest first, one transaction per message. Safe to run
 * from several processes at once. Answers how many ended in each outcome.
 */
export async function deliverPendingMessages(
  db: Db,
  params: { limit: number } & DeliveryOptions,
): Promise<DeliveryCounts> {
  const counts: DeliveryCounts = { sent: 0, retrying: 0, failed: 0, kept: 0 };
  for (let i = 0; i < params.limit && !params.signal?.aborted; i++) {
    // A delivered or rescheduled row is no longer due, so the loop never picks a row twice.
    const outcome = await db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(outbox)
        .where(isDue())
        .orderBy(asc(outbox.createdAt), asc(outbox.id))
        .limit(1)
        .for("update", { skipLocked: true });
      return row ? deliverClaimed(tx, row, params.signal) : null;
    });
    if (!outcome) break;
    counts[outcome] += 1;
  }
  return counts;
}
