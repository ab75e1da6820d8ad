/**
 * `core.notify_client` and `core.notify_admin`: each message goes into the outbox first (so
 * nothing is lost if the step dies), keyed by the step's idempotency key (so a retried step
 * never sends twice), then is delivered at once when its channel is configured. A failed
 * delivery stays `pending` for the outbox sweep and does not fail the step.
 */
import { z } from "zod";
import type { Db } from "@/db/client";
import { OUTBOX_CHANNELS, OUTBOX_STATUSES } from "@/db/schema";
import { readEnv } from "@/env";
import { slackBlocks, SEVERITIES } from "@/notifications/channels/slack";
import {
  deliverMessage,
  enqueueMessage,
  type EnqueuedMessage,
  type EnqueueMessageParams,
  type OutboxChannel,
} from "@/notifications/outbox";
import { NotFoundError } from "@/errors";
import { readOrderForm } from "@/projects/personal";
import { ActionRejected, defineAction, type ActionContext } from "../framework";

const subject = z.string().min(1).max(200);
const text = z.string().min(1).max(20_000);

const messageSchema = z.strictObject({
  messageId: z.uuid(),
  channel: z.enum(OUTBOX_CHANNELS),
  status: z.enum(OUTBOX_STATUSES),
  /** False when a previous attempt of the same step already stored this message. */
  created: z.boolean(),
});
type MessageOutput = z.input<typeof messageSchema>;

/** Tries to send a stored message now when it is pending; answers its status afterwards. */
async function deliverNow(
  ctx: ActionContext,
  channel: OutboxChannel,
  message: EnqueuedMessage,
): Promise<MessageOutput> {
  let status = message.status;
  if (status === "pending")
    status = (await deliverMessage(ctx.db, message.id, { signal: ctx.signal })).status ?? status;
  return { messageId: message.id, channel, status, created: message.created };
}

export const notifyClientAction = defineAction({
  description:
    "Emails a client (text, optional HTML; stored encrypted, the subject in clear). Sent through SMTP when SMTP_URL is set, otherwise kept in the outbox; " +
    "a failed send is retried later by the outbox. A retried step never sends twice.",
  input: z
    .strictObject({
      /** The address itself, or (site orders) the project whose client to email: its address is read and decrypted here. */
      to: z.email().optional(),
      projectId: z.uuid().optional(),
      subject,
      text,
      html: z.string().max(200_000).optional(),
    })
    .refine((input) => (input.to === undefined) !== (input.projectId === undefined), {
      message: "Give exactly one of to and projectId",
      path: ["to"],
    }),
  output: messageSchema.extend({ channel: z.literal("email") }),
  timeoutMs: 30_000,
  handler: async (input, ctx) => {
    const enqueue = (db: Db, recipient: string) =>
      enqueueMessage(db, {
        channel: "email",
        recipient,
        subject: input.subject,
        body: input.text,
        rich: input.html || null,
        // A client's address and the message about their order are personal data: encrypted at rest.
        personal: true,
        dedupeKey: ctx.idempotencyKey,
      });
    // A project's address is decrypted only here, to be handed to the outbox (which encrypts it
    // again), in one transaction holding the project: an erasure either comes first (refused
    // here) or after the message is stored (and then blanks it).
    const message = input.to
      ? await enqueue(ctx.db, input.to)
      : await ctx.db.transaction(async (tx) => enqueue(tx, await projectClientEmail(tx, input.projectId!)));
    return { ...(await deliverNow(ctx, "email", message)), channel: "email" as const };
  },
});

/** A site order's contact email, decrypted at send time; a project without one (erased) is refused, not retried. */
async function projectClientEmail(db: Db, projectId: string): Promise<string> {
  try {
    return (await readOrderForm(db, projectId, { lock: true })).contactEmail;
  } catch (error) {
    if (error instanceof NotFoundError) throw new ActionRejected(error.message, { field: "projectId" });
    throw error;
  }
}

export const notifyAdminAction = defineAction({
  description:
    "Alerts the operators: to Slack when SLACK_WEBHOOK_URL is set and by email to ALERT_EMAIL when SMTP_URL and " +
    "ALERT_EMAIL are set; with neither, one message is kept in the outbox. A retried step never sends twice.",
  input: z.strictObject({
    subject,
    text,
    severity: z.enum(SEVERITIES).default("warning"),
  }),
  output: z.strictObject({ messages: z.array(messageSchema).min(1) }),
  timeoutMs: 30_000,
  handler: async (input, ctx) => {
    const env = readEnv();
    const dedupeKey = (channel: string) => (ctx.idempotencyKey ? `${ctx.idempotencyKey}:${channel}` : null);
    const email = {
      channel: "email",
      subject: `[${input.severity}] ${input.subject}`,
      body: input.text,
      dedupeKey: dedupeKey("email"),
    } as const;
    const planned: EnqueueMessageParams[] = [];
    if (env.SLACK_WEBHOOK_URL) {
      const rich = JSON.stringify(slackBlocks({ subject: input.subject, body: input.text, severity: input.severity }));
      planned.push({
        channel: "slack",
        recipient: "slack",
        subject: input.subject,
        body: input.text,
        rich,
        dedupeKey: dedupeKey("slack"),
      });
    }
    if (env.SMTP_URL && env.ALERT_EMAIL) planned.push({ ...email, recipient: env.ALERT_EMAIL });
    // No usable channel: one message kept for the operators (SMTP_URL alone has no recipient).
    if (planned.length === 0) planned.push({ ...email, recipient: env.ALERT_EMAIL ?? "admin", keep: true });

    // Store every message before sending any: a step that times out mid-send loses nothing.
    const stored: { channel: OutboxChannel; message: EnqueuedMessage }[] = [];
    for (const params of planned)
      stored.push({ channel: params.channel, message: await enqueueMessage(ctx.db, params) });
    const messages: MessageOutput[] = [];
    for (const { channel, message } of stored) messages.push(await deliverNow(ctx, channel, message));
    return { messages };
  },
});
