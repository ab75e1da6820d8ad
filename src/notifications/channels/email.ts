/**
 * Email through SMTP (nodemailer), configured by SMTP_URL (`smtp://user:pass@host:port`, or
 * `smtps://` for TLS from the first byte). One connection per message: the outbox sends a
 * few messages per tick, and a pool would outlive a serverless invocation.
 *
 * The sender is SMTP_FROM, else `no-reply@<host of PUBLIC_BASE_URL>` (`localhost` without it).
 */
import nodemailer from "nodemailer";
import type { Env } from "@/env";
import type { Channel, OutgoingMessage } from "./types";

/** Below the outbox's 15 s send timeout, so a dead server fails with nodemailer's own error. */
const CONNECT_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 14_000;

export function senderAddress(env: Env): string {
  if (env.SMTP_FROM) return env.SMTP_FROM;
  let host = "localhost";
  if (env.PUBLIC_BASE_URL) {
    try {
      host = new URL(env.PUBLIC_BASE_URL).hostname || host;
    } catch {
      // An invalid PUBLIC_BASE_URL is reported where it is used for links; mail still goes out.
    }
  }
  return `no-reply@${host}`;
}

async function sendEmail(message: OutgoingMessage, env: Env, signal: AbortSignal): Promise<void> {
  if (!env.SMTP_URL) throw new Error("the email channel is not configured (SMTP_URL)");
  // Timeouts given here apply unless the URL's query sets them (`?socketTimeout=…`).
  const transport = nodemailer.createTransport({
    url: env.SMTP_URL,
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
  });
  try {
    await transport.sendMail({
      from: senderAddress(env),
      to: message.recipient,
      subject: message.subject,
      text: message.body,
      html: message.rich ?? undefined,
      signal,
    });
  } finally {
    transport.close();
  }
}

/** SMTP_URL itself and its password, raw and percent-decoded (an error could quote either). */
function emailSecrets(env: Env): string[] {
  if (!env.SMTP_URL) return [];
  const secrets = [env.SMTP_URL];
  try {
    const password = new URL(env.SMTP_URL).password;
    if (password) secrets.push(password, safeDecode(password));
  } catch {
    // Not a URL: the whole value is already listed.
  }
  return secrets;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export const emailChannel: Channel = {
  isConfigured: (env) => Boolean(env.SMTP_URL),
  send: sendEmail,
  secrets: emailSecrets,
};
