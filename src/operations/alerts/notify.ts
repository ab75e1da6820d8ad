/**
 * Alert notifications go through the outbox: stored in the transaction that fires (or
 * escalates) the alert, under a dedupe key per alert, event and channel, then delivered right
 * after the commit. A channel that is down leaves its message `pending`; the housekeeping
 * sweep retries it with backoff, so an outage loses nothing. A channel that is not configured
 * keeps its message (`kept`): shown to operators in the outbox, never sent.
 */
import type { Db } from "@/db/client";
import { readEnv } from "@/env";
import { log } from "@/observability/log";
import {
  deliverMessage,
  enqueueMessage,
  type EnqueuedMessage,
  type EnqueueMessageParams,
} from "@/notifications/outbox";
import { noticeContent, type AlertNotice } from "./format";
import type { AlertChannel } from "./rules";

/** The Slack webhook's recipient as stored (the URL itself is a secret and never stored). */
export const SLACK_RECIPIENT = "slack";
/** The email recipient stored when ALERT_EMAIL is not set: the message is kept, not sent. */
export const NO_ALERT_EMAIL = "admin";

/** The outbox message of one channel (email without ALERT_EMAIL is kept: it has nobody to go to). */
export function channelMessage(
  channel: AlertChannel,
  content: { subject: string; body: string; slackBlocks: unknown[]; html: string },
  dedupeKey: string | null,
): EnqueueMessageParams {
  if (channel === "slack") {
    return {
      channel,
      recipient: SLACK_RECIPIENT,
      subject: content.subject,
      body: content.body,
      rich: JSON.stringify(content.slackBlocks),
      dedupeKey,
    };
  }
  const to = readEnv().ALERT_EMAIL;
  return {
    channel,
    recipient: to ?? NO_ALERT_EMAIL,
    subject: content.subject,
    body: content.body,
    rich: content.html,
    dedupeKey,
    keep: !to,
  };
}

/** Stores one message per channel of the rule (in the caller's transaction). Dedupe key: `alert:<id>:<kind>:<channel>`. */
export async function enqueueAlertNotices(tx: Db, notice: AlertNotice): Promise<EnqueuedMessage[]> {
  const content = noticeContent(notice);
  const stored: EnqueuedMessage[] = [];
  for (const channel of notice.rule.channels) {
    stored.push(
      await enqueueMessage(tx, channelMessage(channel, content, `alert:${notice.alertId}:${notice.kind}:${channel}`)),
    );
  }
  return stored;
}

/**
 * Sends the pending ones now, side by side (each send is bounded by the outbox's timeout). A
 * failed send is recorded by the outbox, never thrown; a database error is logged: the message
 * is stored, and the sweep delivers it.
 */
export async function deliverNow(db: Db, messages: EnqueuedMessage[]): Promise<void> {
  const pending = messages.filter((m) => m.status === "pending" && m.created);
  const results = await Promise.allSettled(pending.map((m) => deliverMessage(db, m.id)));
  for (const [i, r] of results.entries()) {
    if (r.status === "rejected")
      log.warn("alerts: delivery deferred to the outbox sweep", { id: pending[i]?.id, error: r.reason });
  }
}
