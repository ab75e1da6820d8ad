/**
 * The outbox's channels by name, and the one way a failed send becomes a stored error: short,
 * and with every channel secret (SMTP URL and password, Slack webhook URL) scrubbed out,
 * because `last_error` is shown to operators and logged.
 */
import type { OUTBOX_CHANNELS } from "@/db/schema";
import type { Env } from "@/env";
import { emailChannel } from "./email";
import { slackChannel } from "./slack";
import type { Channel } from "./types";

export type { Channel, OutgoingMessage } from "./types";

export type OutboxChannel = (typeof OUTBOX_CHANNELS)[number];

export const CHANNELS: Record<OutboxChannel, Channel> = { email: emailChannel, slack: slackChannel };

const ERROR_MAX = 500;
const REDACTED = "[redacted]";

/** Every configured channel secret, longest first (so a URL goes before the password inside it). */
export function channelSecrets(env: Env): string[] {
  const all = Object.values(CHANNELS).flatMap((channel) => channel.secrets(env));
  return [...new Set(all)].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

export function scrubSecrets(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/**
 * `<code>: <message>[: <cause>]` on one line, at most 500 characters, secrets scrubbed.
 * fetch's "fetch failed" says nothing by itself: its cause (ECONNREFUSED, a DNS error) does.
 */
export function describeFailure(error: unknown, secrets: string[]): string {
  let text: string;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    text = typeof code === "string" && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
    if (error.cause instanceof Error && error.cause.message && !text.includes(error.cause.message))
      text += `: ${error.cause.message}`;
  } else {
    text = String(error);
  }
  const clean = scrubSecrets(text, secrets).replace(/\s+/g, " ").trim() || "unknown error";
  return clean.length <= ERROR_MAX ? clean : `${clean.slice(0, ERROR_MAX - 1)}…`;
}
