/**
 * Slack through an incoming webhook (SLACK_WEBHOOK_URL): POST `{text, blocks}`, 10 s timeout,
 * any non-2xx answer is a failure (Slack answers 200 "ok"; errors such as 404 `no_service`
 * come back as text, which is quoted in the error). Redirects are not followed.
 *
 * The webhook URL is a credential (whoever holds it can post to the channel): it is never
 * stored, and never quoted in an error. It is called under the outbound policy
 * (src/integrations/outbound: a refused address is an error naming the host only, never the path).
 */
import type { Env } from "@/env";
import { outboundFetch } from "@/integrations/outbound";
import { readLimitedText } from "@/util/read-limited";
import type { Channel, OutgoingMessage } from "./types";

const TIMEOUT_MS = 10_000;
const ERROR_BODY_BYTES = 2048;
// Slack's limits: a header's plain text 150 characters, a section's text 3000, 50 blocks.
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const MAX_SECTIONS = 40;
const FALLBACK_TEXT_MAX = 3000;

export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

const SEVERITY_ICON: Record<Severity, string> = {
  info: ":information_source:",
  warning: ":warning:",
  critical: ":rotating_light:",
};

export type SlackBlock =
  | { type: "header"; text: { type: "plain_text"; text: string; emoji: true } }
  | { type: "section"; text: { type: "mrkdwn"; text: string } }
  | { type: "context"; elements: { type: "mrkdwn"; text: string }[] };

/** Slack's mrkdwn reads `&`, `<` and `>` as markup (links, mentions): escape them. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The escaped body cut into section-sized pieces, never inside an escape sequence. */
function sectionTexts(body: string): string[] {
  const pieces: string[] = [];
  let current = "";
  for (const char of body) {
    const escaped = escapeMrkdwn(char);
    if (current.length + escaped.length > SECTION_MAX) {
      pieces.push(current);
      current = "";
    }
    current += escaped;
  }
  if (current) pieces.push(current);
  if (pieces.length > MAX_SECTIONS) {
    pieces.length = MAX_SECTIONS;
    pieces[MAX_SECTIONS - 1] = `${pieces[MAX_SECTIONS - 1]!.slice(0, SECTION_MAX - 20)}\n_(truncated)_`;
  }
  return pieces;
}

/** A header with the subject, the body as mrkdwn sections, and the severity as context. */
export function slackBlocks(params: { subject: string; body: string; severity?: Severity }): SlackBlock[] {
  const blocks: SlackBlock[] = [
    { type: "header", text: { type: "plain_text", text: truncate(params.subject, HEADER_MAX), emoji: true } },
  ];
  for (const text of sectionTexts(params.body)) blocks.push({ type: "section", text: { type: "mrkdwn", text } });
  if (params.severity) {
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: `${SEVERITY_ICON[params.severity]} *Severity:* ${params.severity}` }],
    });
  }
  return blocks;
}

/** The stored blocks, or blocks built from the subject and body when none (or unreadable ones) were stored. */
function blocksOf(message: OutgoingMessage): unknown[] {
  if (message.rich) {
    try {
      const parsed = JSON.parse(message.rich) as unknown;
      if (Array.isArray(parsed) && parsed.length > 0) return parsed as unknown[];
    } catch {
      // Fall through to the default layout: the text still reaches the channel.
    }
  }
  return slackBlocks({ subject: message.subject, body: message.body });
}

async function sendSlack(message: OutgoingMessage, env: Env, signal: AbortSignal): Promise<void> {
  if (!env.SLACK_WEBHOOK_URL) throw new Error("the Slack channel is not configured (SLACK_WEBHOOK_URL)");
  // `text` is the notification and screen-reader fallback of the blocks.
  const text = escapeMrkdwn(truncate(`${message.subject}\n${message.body}`, FALLBACK_TEXT_MAX));
  const res = await outboundFetch(env.SLACK_WEBHOOK_URL, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text, blocks: blocksOf(message) }),
    signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]),
  });
  if (res.status >= 200 && res.status < 300) {
    await res.body?.cancel();
    return;
  }
  const answer = (await readLimitedText(res, ERROR_BODY_BYTES).catch(() => null))?.trim();
  throw new Error(`Slack answered HTTP ${res.status}${answer ? `: ${answer.slice(0, 200)}` : ""}`);
}

/**
 * The URL, its path and its last segment: the path (`/services/T…/B…/<token>`) is enough to
 * post. Parts shorter than 8 characters are left out (scrubbing "/hook" from every error
 * would garble it and protect nothing).
 */
function slackSecrets(env: Env): string[] {
  if (!env.SLACK_WEBHOOK_URL) return [];
  const parts: string[] = [];
  try {
    const url = new URL(env.SLACK_WEBHOOK_URL);
    parts.push(url.pathname + url.search, url.pathname.split("/").filter(Boolean).pop() ?? "");
  } catch {
    // Not a URL: the whole value is listed below.
  }
  return [env.SLACK_WEBHOOK_URL, ...parts.filter((part) => part.length >= 8)];
}

export const slackChannel: Channel = {
  isConfigured: (env) => Boolean(env.SLACK_WEBHOOK_URL),
  send: sendSlack,
  secrets: slackSecrets,
};
