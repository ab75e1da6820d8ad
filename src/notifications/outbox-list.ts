/**
 * The outbox as operators see it (`GET /api/outbox`): newest first, in keyset pages on
 * (created_at desc, id desc), served by outbox_created_idx.
 *
 * Recipients are personal data: every email address, in `recipient`, `subject` and `lastError`
 * (SMTP servers quote addresses in their refusals), is masked to its first letter and its domain
 * (`j***@example.com`). A personal message's recipient is stored encrypted: it is decrypted,
 * then masked the same way (never shown as a token, nor in clear: `[hidden]` when it holds no
 * address, `[unreadable]` when its key is gone). Bodies are not listed at all. Channel secrets never reach the table
 * (the outbox scrubs them from errors before storing).
 */
import { sql } from "drizzle-orm";
import { z } from "zod";
import { keysetCursor, keysetPage } from "@/db/keyset";
import { queryRows, type Db } from "@/db/client";
import { OUTBOX_CHANNELS, OUTBOX_STATUSES } from "@/db/schema";
import { toIso, toNumber } from "@/db/rows";
import { DecryptionError, isEncrypted } from "@/privacy/crypto";
import { maskEmails } from "@/privacy/mask";
import type { OutboxStatus } from "./outbox";
import { openField, OUTBOX_CONTEXT } from "./personal";

export interface OutboxMessageView {
  id: string;
  channel: (typeof OUTBOX_CHANNELS)[number];
  recipient: string;
  subject: string;
  status: OutboxStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  sentAt: string | null;
}

export interface ListOutboxParams {
  status?: OutboxStatus;
  channel?: (typeof OUTBOX_CHANNELS)[number];
  limit: number;
  /** The `nextCursor` of the previous page: `<created_at, microseconds>|<id>`. */
  cursor?: { createdAt: string; id: string };
}

const outboxCursor = keysetCursor.transform((c) => ({ createdAt: c.at, id: c.id }));

/** The query of `GET /api/outbox`. */
export const outboxQuery = z.strictObject({
  status: z.enum(OUTBOX_STATUSES).optional(),
  channel: z.enum(OUTBOX_CHANNELS).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: outboxCursor.optional(),
});

/**
 * The recipient as operators see it: masked; a personal message's (a token) is decrypted
 * first, and hidden whole if it holds no address to mask.
 */
function shownRecipient(stored: string): string {
  if (!isEncrypted(stored)) return maskEmails(stored);
  try {
    const plaintext = openField(stored, OUTBOX_CONTEXT.recipient);
    const masked = maskEmails(plaintext);
    return masked === plaintext ? "[hidden]" : masked;
  } catch (error) {
    if (error instanceof DecryptionError) return "[unreadable]";
    throw error;
  }
}

interface OutboxRow {
  id: string;
  channel: OutboxMessageView["channel"];
  recipient: string;
  subject: string;
  status: OutboxStatus;
  attempts: unknown;
  last_error: string | null;
  next_attempt_at: unknown;
  created_at: unknown;
  sent_at: unknown;
  cursor_at: string;
}

export async function listOutbox(
  db: Db,
  params: ListOutboxParams,
): Promise<{ messages: OutboxMessageView[]; nextCursor: string | null }> {
  const c = params.cursor;
  const rows = await queryRows<OutboxRow>(
    db,
    sql`select id, channel, recipient, subject, status, attempts, last_error, next_attempt_at, created_at, sent_at,
          to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at
        from outbox
        where (${params.status ?? null}::text is null or status = ${params.status ?? null})
          and (${params.channel ?? null}::text is null or channel = ${params.channel ?? null})
          and (${c?.createdAt ?? null}::timestamptz is null or (created_at, id) < (${c?.createdAt ?? null}::timestamptz, ${c?.id ?? null}::uuid))
        order by created_at desc, id desc limit ${params.limit + 1}`,
  );
  const { page, nextCursor } = keysetPage(rows, params.limit);
  return {
    messages: page.map((r) => ({
      id: r.id,
      channel: r.channel,
      recipient: shownRecipient(r.recipient),
      subject: maskEmails(r.subject),
      status: r.status,
      attempts: toNumber(r.attempts),
      lastError: r.last_error === null ? null : maskEmails(r.last_error),
      nextAttemptAt: toIso(r.next_attempt_at),
      createdAt: toIso(r.created_at)!,
      sentAt: toIso(r.sent_at),
    })),
    nextCursor,
  };
}
