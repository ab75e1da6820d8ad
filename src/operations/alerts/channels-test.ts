/**
 * `POST /api/alerts/channels/test`: sends a test notification through the same path as a real
 * alert (stored in the outbox, then delivered), so it proves the configuration end to end:
 * SLACK_WEBHOOK_URL for Slack; SMTP_URL and ALERT_EMAIL for email. A channel that is not
 * configured answers `kept` (stored, not sent), which is an answer, not an error. A failed
 * send answers its error, and stays in the outbox to be retried like any message.
 */
import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { outbox } from "@/db/schema";
import {
  deliverMessage,
  enqueueMessage,
  type DeliveryOutcome,
  type EnqueuedMessage,
  type OutboxStatus,
} from "@/notifications/outbox";
import { testNoticeContent } from "./format";
import { channelMessage } from "./notify";
import { ALERT_CHANNELS, type AlertChannel } from "./rules";

export interface TestNotificationResult {
  channel: AlertChannel;
  /** The outbox message. */
  id: string;
  status: OutboxStatus;
  /** `skipped`: another deliverer had it (it is being sent). */
  outcome: DeliveryOutcome | "skipped";
  /** Why the send failed (secrets scrubbed). */
  error?: string;
}

/** Sends a test to one channel, or to both. */
export async function sendTestNotification(db: Db, channel?: AlertChannel): Promise<TestNotificationResult[]> {
  const channels = channel ? [channel] : [...ALERT_CHANNELS];
  const content = testNoticeContent(new Date());
  // Stored first, then sent side by side: the answer comes within one send timeout.
  const stored: { name: AlertChannel; message: EnqueuedMessage }[] = [];
  for (const name of channels)
    stored.push({ name, message: await enqueueMessage(db, channelMessage(name, content, null)) });
  const results = await Promise.all(
    stored.map(async ({ name, message }): Promise<TestNotificationResult> => {
      if (message.status !== "pending")
        return {
          channel: name,
          id: message.id,
          status: message.status,
          outcome: message.status === "kept" ? "kept" : "skipped",
        };
      const delivered = await deliverMessage(db, message.id);
      const [row] = await db
        .select({ status: outbox.status, lastError: outbox.lastError })
        .from(outbox)
        .where(eq(outbox.id, message.id));
      const result: TestNotificationResult = {
        channel: name,
        id: message.id,
        status: row?.status ?? delivered.status ?? message.status,
        outcome: delivered.outcome,
      };
      if (row?.lastError && delivered.outcome !== "sent") result.error = row.lastError;
      return result;
    }),
  );
  return results;
}
