import type { Env } from "@/env";

/** What a channel needs of an outbox row to send it. */
export interface OutgoingMessage {
  recipient: string;
  subject: string;
  body: string;
  /** HTML for email, Slack blocks (JSON) for Slack; null for plain text only. */
  rich: string | null;
}

export interface Channel {
  /** Whether the environment holds what this channel needs to send. */
  isConfigured(env: Env): boolean;
  /** Sends or throws. Must stop when `signal` aborts. */
  send(message: OutgoingMessage, env: Env, signal: AbortSignal): Promise<void>;
  /** The configured values that must never be stored or logged (URLs, passwords, tokens). */
  secrets(env: Env): string[];
}
