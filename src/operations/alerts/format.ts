/**
 * What an alert says: its stored message, and its notifications (a Slack Block Kit message
 * and an email with a text body and simple HTML). Pure functions of the rule and what was
 * measured, so the wording is testable without a database.
 */
import type { AlertSeverity } from "@/db/schema";
import { publicBaseUrl } from "@/env";
import type { AlertRuleSpec } from "./rules";

/** A value measured for one subject of a rule. */
export interface Observation {
  /** An agent, a workflow, or "" for the whole platform. */
  subject: string;
  value: number;
  /** How many metric points the value comes from (metric rules). */
  count?: number;
  /** A short explanation (agent_down: the circuit's state and the probe's answer). */
  detail?: string;
}

const COMPARATOR_WORD = { gt: "above", gte: "at or above", lt: "below", lte: "at or below" } as const;
const SEVERITY_ICON: Record<AlertSeverity, string> = {
  info: ":information_source:",
  warning: ":warning:",
  critical: ":rotating_light:",
};
const DASHBOARD_PATH = "/core-platform-dashboard";

export function formatWindow(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h ? `${h} h` : "", m ? `${m} min` : "", s ? `${s} s` : ""].filter(Boolean).join(" ");
}

function round(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(Math.round(value * 1000) / 1000);
}

/** A value in the rule's unit: a percentage for error rates, ms for durations, s for the backlog. */
export function formatValue(
  rule: Pick<AlertRuleSpec, "source" | "metric" | "aggregate" | "condition">,
  value: number,
): string {
  if (rule.source === "metric") {
    if (rule.aggregate === "error_rate") return `${round(value * 100)} %`;
    if (rule.aggregate !== "count" && rule.metric?.endsWith(".duration")) return `${round(value)} ms`;
    return round(value);
  }
  if (rule.condition === "queue_backlog") return `${round(value)} s`;
  if (rule.condition === "cache_miss_rate") return `${round(value * 100)} %`;
  return round(value);
}

function subjectLabel(rule: Pick<AlertRuleSpec, "groupBy">, subject: string): string {
  return subject ? `${rule.groupBy ?? "subject"} "${subject}"` : "";
}

/** The alert's message: what was measured, for whom, against which threshold, over which window. */
export function alertMessage(rule: AlertRuleSpec, obs: Observation): string {
  const window = formatWindow(rule.windowSeconds);
  const threshold = `${COMPARATOR_WORD[rule.comparator]} the threshold of ${formatValue(rule, rule.threshold)}`;
  const who = subjectLabel(rule, obs.subject);
  if (rule.source === "metric") {
    const points = obs.count === undefined ? "" : `, ${obs.count} point${obs.count === 1 ? "" : "s"}`;
    const aggregate = rule.aggregate === "error_rate" ? "error rate" : rule.aggregate;
    return `${aggregate} of ${rule.metric}${who ? ` for ${who}` : ""} is ${formatValue(rule, obs.value)}, ${threshold} (last ${window}${points}).`;
  }
  switch (rule.condition) {
    case "agent_down":
      return `Agent "${obs.subject}" is down${obs.detail ? ` (${obs.detail})` : ""}.`;
    case "queue_backlog":
      return `The oldest ready step has waited ${formatValue(rule, obs.value)}, ${threshold}.`;
    case "failed_runs":
      return `${round(obs.value)} run${obs.value === 1 ? "" : "s"}${who ? ` of ${who}` : ""} failed in the last ${window} (${threshold}).`;
    case "cache_miss_rate":
      return `The result cache of ${obs.subject} missed ${formatValue(rule, obs.value)} of its lookups in the last ${window}, ${threshold}${obs.detail ? ` (${obs.detail})` : ""}.`;
    case "agent_throttled":
      return `Agent ${obs.subject} is throttled to ${round(Math.round(obs.value * 100))} % of its largest concurrency, ${threshold}${obs.detail ? ` (${obs.detail})` : ""}.`;
    case "adaptive_timeout_at_ceiling":
      return `The adaptive timeout of ${obs.subject} is pinned at its ceiling: p99 × margin is ${round(Math.round(obs.value * 100))} % of it, ${threshold}${obs.detail ? ` (${obs.detail})` : ""}.`;
    case "failed_shopify_deliveries":
      return `${round(obs.value)} Shopify deliver${obs.value === 1 ? "y" : "ies"} failed for good and wait${obs.value === 1 ? "s" : ""} to be reprocessed (${threshold}).`;
    case "backup_stale":
    case "backup_drill_stale":
      return `${rule.condition === "backup_stale" ? "The last verified backup" : "The last successful restore drill"} is ${Math.round(obs.value)} h old (${threshold} h)${obs.detail ? `; ${obs.detail}` : ""}.`;
    case "retention_behind":
      return `Retention of ${obs.subject} is behind: its oldest prunable row is ${round(obs.value)} h past its retention (${threshold} h)${obs.detail ? `; ${obs.detail}` : ""}.`;
    default:
      return `${rule.name}: ${round(obs.value)}, ${threshold}.`;
  }
}

/** What a notification is about. */
export interface AlertNotice {
  kind: "fired" | "escalated";
  alertId: string;
  rule: AlertRuleSpec;
  subject: string;
  severity: AlertSeverity;
  message: string;
  value: number | null;
  firedAt: Date;
}

export interface NoticeContent {
  subject: string;
  body: string;
  slackBlocks: unknown[];
  html: string;
}

function dashboardUrl(): string | undefined {
  const base = publicBaseUrl();
  return base ? `${base}${DASHBOARD_PATH}` : undefined;
}

/** Slack's mrkdwn reads `&`, `<` and `>` as markup (links, mentions): escape them. */
function mrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function html(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Subject, text body, Slack blocks (header with the severity, the message, the facts, a link) and HTML of one notification. */
export function noticeContent(notice: AlertNotice): NoticeContent {
  const { rule } = notice;
  const severity = notice.severity.toUpperCase();
  const title = `${notice.kind === "escalated" ? "Escalated: " : ""}${rule.name}${notice.subject ? ` (${notice.subject})` : ""}`;
  const subject = clip(`[${severity}] ${title}`, 200);
  const url = dashboardUrl();
  const facts: [string, string][] = [
    ["Rule", rule.name],
    ["Subject", notice.subject || "platform"],
    ["Value", notice.value === null ? "n/a" : formatValue(rule, notice.value)],
    ["Threshold", `${COMPARATOR_WORD[rule.comparator]} ${formatValue(rule, rule.threshold)}`],
  ];
  const escalation =
    notice.kind === "escalated"
      ? `Not acknowledged ${rule.escalateAfterMinutes ?? "?"} min after firing: severity raised to ${notice.severity}.`
      : null;
  const lines = [
    notice.message,
    ...(escalation ? [escalation] : []),
    "",
    ...facts.map(([k, v]) => `${k}: ${v}`),
    `Fired at: ${notice.firedAt.toISOString()}`,
    `Alert: ${notice.alertId}`,
    ...(url ? ["", `Acknowledge it on the dashboard: ${url}`] : []),
  ];
  const blocks: unknown[] = [
    { type: "header", text: { type: "plain_text", text: clip(`${severity}: ${title}`, 150), emoji: true } },
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text: clip(
          `${SEVERITY_ICON[notice.severity]} ${mrkdwn(notice.message)}${escalation ? `\n*${mrkdwn(escalation)}*` : ""}`,
          3000,
        ),
      },
    },
    { type: "section", fields: facts.map(([k, v]) => ({ type: "mrkdwn", text: clip(`*${k}*\n${mrkdwn(v)}`, 2000) })) },
    {
      type: "context",
      elements: [{ type: "mrkdwn", text: `Fired at ${notice.firedAt.toISOString()} · alert ${notice.alertId}` }],
    },
  ];
  if (url) blocks.push(dashboardButton(url));
  const rows = facts
    .map(([k, v]) => `<tr><th align="left" style="padding:2px 12px 2px 0">${html(k)}</th><td>${html(v)}</td></tr>`)
    .join("");
  const body = [
    `<h2 style="margin:0 0 8px">${html(severity)}: ${html(title)}</h2>`,
    `<p>${html(notice.message)}</p>`,
    escalation ? `<p><strong>${html(escalation)}</strong></p>` : "",
    `<table style="border-collapse:collapse">${rows}<tr><th align="left" style="padding:2px 12px 2px 0">Fired at</th><td>${html(notice.firedAt.toISOString())}</td></tr></table>`,
    url ? `<p><a href="${html(url)}">Open the dashboard</a> to acknowledge it.</p>` : "",
  ].join("\n");
  return {
    subject,
    body: lines.join("\n"),
    slackBlocks: blocks,
    html: `<!doctype html><html><body style="font-family:sans-serif">${body}</body></html>`,
  };
}

/** The test notification of `POST /api/alerts/channels/test`: same layout as an alert, no rule. */
export function testNoticeContent(now: Date): NoticeContent {
  const subject = "[TEST] Alert channel test";
  const message = `A test of the alert channels, sent at ${now.toISOString()}. If you read this, alerts reach you here.`;
  const url = dashboardUrl();
  const blocks: unknown[] = [
    { type: "header", text: { type: "plain_text", text: "TEST: alert channel test", emoji: true } },
    { type: "section", text: { type: "mrkdwn", text: `${SEVERITY_ICON.info} ${mrkdwn(message)}` } },
  ];
  if (url) blocks.push(dashboardButton(url));
  const body = [message, ...(url ? ["", `Dashboard: ${url}`] : [])].join("\n");
  const page = [
    `<h2 style="margin:0 0 8px">Alert channel test</h2>`,
    `<p>${html(message)}</p>`,
    url ? `<p><a href="${html(url)}">Open the dashboard</a></p>` : "",
  ].join("\n");
  return {
    subject,
    body,
    slackBlocks: blocks,
    html: `<!doctype html><html><body style="font-family:sans-serif">${page}</body></html>`,
  };
}

/** The Slack block of an alert or a test notice that links to the dashboard. */
function dashboardButton(url: string): unknown {
  return {
    type: "actions",
    elements: [
      {
        type: "button",
        text: { type: "plain_text", text: "Open the dashboard", emoji: false },
        url,
        action_id: "open_dashboard",
      },
    ],
  };
}
