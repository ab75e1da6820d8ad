/**
 * The alert and outbox routes through their handlers, as Next calls them: roles (viewers read,
 * operators acknowledge and resolve, admins manage rules and test channels, the cron
 * evaluates), the JSON shapes, 4xx errors, the audit log, and masked email addresses.
 */
import { sql } from "drizzle-orm";
import { afterEach, beforeAll, beforeEach, expect, it, vi } from "vitest";
import { createApiKey } from "@/auth/api-keys";
import type { Role } from "@/auth/roles";
import { queryRows } from "@/db/client";
import { getSecret } from "@/env";
import { enqueueMessage } from "@/notifications/outbox";
import { POST as ack } from "@/app/api/alerts/[id]/ack/route";
import { POST as resolve } from "@/app/api/alerts/[id]/resolve/route";
import { POST as testChannels } from "@/app/api/alerts/channels/test/route";
import { GET as evaluate } from "@/app/api/alerts/evaluate/route";
import { GET as listAlerts } from "@/app/api/alerts/route";
import { DELETE as deleteRule, GET as getRule, PUT as updateRule } from "@/app/api/alerts/rules/[id]/route";
import { GET as listRules, POST as createRule } from "@/app/api/alerts/rules/route";
import { GET as listOutbox } from "@/app/api/outbox/route";
import { describeDb } from "../helpers/db";
import { callJson } from "../helpers/http";

interface RuleBody {
  id: string;
  name: string;
  builtin: string | null;
  threshold: number;
  enabled: boolean;
  counts: { total: number; active: number; acknowledged: number; resolved: number };
  lastFiredAt: string | null;
}
interface AlertBody {
  id: string;
  ruleId: string;
  ruleName: string;
  subject: string;
  severity: string;
  state: string;
  message: string;
  value: number | null;
  firedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
}
interface OutboxBody {
  messages: {
    id: string;
    channel: string;
    recipient: string;
    subject: string;
    status: string;
    attempts: number;
    lastError: string | null;
    createdAt: string;
  }[];
  nextCursor: string | null;
}

/** A rule that is always breached (the queue's backlog is at least 0 s), without channels. */
const ALWAYS = {
  name: "Always breached",
  source: "condition",
  condition: "queue_backlog",
  comparator: "gte",
  threshold: 0,
  windowSeconds: 60,
  severity: "info",
  cooldownSeconds: 600,
  channels: [],
};

describeDb("alerts over HTTP", (suite) => {
  const keys = {} as Record<Role, string>;
  const cron = () => getSecret("CRON_SECRET");

  beforeAll(async () => {
    for (const role of ["viewer", "operator", "admin"] as const)
      keys[role] = (await createApiKey(suite.db(), { name: `alerts ${role}`, role })).key;
  });

  beforeEach(async () => {
    const db = suite.db();
    await db.execute(sql`delete from alerts`);
    await db.execute(sql`delete from alert_rule_state`);
    await db.execute(sql`delete from alert_rules where builtin is null`);
    await db.execute(sql`delete from outbox`);
    vi.stubEnv("SLACK_WEBHOOK_URL", undefined);
    vi.stubEnv("SMTP_URL", undefined);
    vi.stubEnv("ALERT_EMAIL", undefined);
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  /** Creates the always-breached rule and lets the cron fire it; answers the alert. */
  async function fireOne(): Promise<AlertBody> {
    const created = await callJson<{ rule: RuleBody }>(createRule, "/api/alerts/rules", {
      method: "POST",
      key: keys.admin,
      body: ALWAYS,
    });
    expect(created.status).toBe(201);
    const run = await callJson<{ fired: { alertId: string; ruleId: string }[] }>(evaluate, "/api/alerts/evaluate", {
      key: cron(),
    });
    expect(run.status).toBe(200);
    const mine = run.body.fired.filter((f) => f.ruleId === created.body.rule.id);
    expect(mine).toHaveLength(1);
    const listed = await callJson<{ alerts: AlertBody[] }>(listAlerts, `/api/alerts?ruleId=${created.body.rule.id}`, {
      key: keys.viewer,
    });
    return listed.body.alerts[0]!;
  }

  it("lists the built-in rules with their counts, and lets only an admin create, change and delete rules", async () => {
    const listed = await callJson<{ rules: RuleBody[] }>(listRules, "/api/alerts/rules", { key: keys.viewer });
    expect(listed.status).toBe(200);
    // Built-in rules first (seeded together when a fresh database is migrated in one transaction: by name).
    expect(listed.body.rules.map((r) => r.builtin)).toEqual([
      "adaptive_timeout_at_ceiling",
      "agent_down",
      "agent_throttled",
      "backup_stale",
      "cache_miss_rate",
      "failed_runs",
      "error_rate",
      "queue_backlog",
      "backup_drill_stale",
      "retention_behind",
      "failed_shopify_deliveries",
      "slow_agent",
    ]);
    expect(listed.body.rules[0]!.counts).toEqual({ total: 0, active: 0, acknowledged: 0, resolved: 0 });

    expect(
      (await callJson(createRule, "/api/alerts/rules", { method: "POST", key: keys.operator, body: ALWAYS })).status,
    ).toBe(403);
    const created = await callJson<{ rule: RuleBody }>(createRule, "/api/alerts/rules", {
      method: "POST",
      key: keys.admin,
      body: ALWAYS,
    });
    expect(created.status).toBe(201);
    expect(created.body.rule).toMatchObject({ name: "Always breached", builtin: null, enabled: true });
    const taken = await callJson<{ error: { code: string } }>(createRule, "/api/alerts/rules", {
      method: "POST",
      key: keys.admin,
      body: ALWAYS,
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe("conflict");
    const incoherent = await callJson<{ error: { code: string; details: { path: string }[] } }>(
      createRule,
      "/api/alerts/rules",
      {
        method: "POST",
        key: keys.admin,
        body: { ...ALWAYS, name: "No metric", source: "metric", condition: undefined },
      },
    );
    expect(incoherent.status).toBe(400);
    expect(incoherent.body.error.details.map((d) => d.path)).toEqual(expect.arrayContaining(["metric", "aggregate"]));

    const id = created.body.rule.id;
    const path = `/api/alerts/rules/${id}`;
    const changed = await callJson<{ rule: RuleBody }>(updateRule, path, {
      method: "PUT",
      key: keys.admin,
      params: { id },
      body: { threshold: 120, enabled: false },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.rule).toMatchObject({ threshold: 120, enabled: false });
    expect(
      (await callJson(updateRule, path, { method: "PUT", key: keys.admin, params: { id }, body: { windowSeconds: 3 } }))
        .status,
    ).toBe(400);
    expect(
      (await callJson<{ rule: RuleBody }>(getRule, path, { key: keys.viewer, params: { id } })).body.rule.threshold,
    ).toBe(120);

    const builtin = listed.body.rules[0]!;
    const refused = await callJson(deleteRule, `/api/alerts/rules/${builtin.id}`, {
      method: "DELETE",
      key: keys.admin,
      params: { id: builtin.id },
    });
    expect(refused.status).toBe(409);
    expect((await callJson(deleteRule, path, { method: "DELETE", key: keys.operator, params: { id } })).status).toBe(
      403,
    );
    expect((await callJson(deleteRule, path, { method: "DELETE", key: keys.admin, params: { id } })).status).toBe(200);
    expect((await callJson(getRule, path, { key: keys.viewer, params: { id } })).status).toBe(404);
    expect(
      (await callJson(getRule, "/api/alerts/rules/not-a-uuid", { key: keys.viewer, params: { id: "not-a-uuid" } }))
        .status,
    ).toBe(404);
  });

  it("evaluates on the cron's call only, and lists the fired alert with its rule, newest first, filtered and paged", async () => {
    expect((await callJson(evaluate, "/api/alerts/evaluate", { key: keys.admin })).status).toBe(401); // an API key is not the cron secret
    const alert = await fireOne();
    expect(alert).toMatchObject({
      ruleName: "Always breached",
      subject: "",
      severity: "info",
      state: "active",
      value: 0,
      acknowledgedAt: null,
      resolvedBy: null,
    });
    expect(alert.message).toContain("The oldest ready step has waited 0 s");

    // A second alert (another rule), so there are two pages of one.
    await callJson(createRule, "/api/alerts/rules", {
      method: "POST",
      key: keys.admin,
      body: { ...ALWAYS, name: "Also breached" },
    });
    await callJson(evaluate, "/api/alerts/evaluate", { key: cron() });
    const first = await callJson<{ alerts: AlertBody[]; nextCursor: string | null }>(
      listAlerts,
      "/api/alerts?state=active&limit=1",
      { key: keys.viewer },
    );
    expect(first.status).toBe(200);
    expect(first.body.alerts.map((a) => a.ruleName)).toEqual(["Also breached"]);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await callJson<{ alerts: AlertBody[]; nextCursor: string | null }>(
      listAlerts,
      `/api/alerts?state=active&limit=1&cursor=${encodeURIComponent(first.body.nextCursor!)}`,
      { key: keys.viewer },
    );
    expect(second.body.alerts.map((a) => a.id)).toEqual([alert.id]);
    expect(second.body.nextCursor).toBeNull();
    expect(
      (await callJson<{ alerts: AlertBody[] }>(listAlerts, "/api/alerts?state=resolved", { key: keys.viewer })).body
        .alerts,
    ).toEqual([]);
    expect((await callJson(listAlerts, "/api/alerts?cursor=yesterday", { key: keys.viewer })).status).toBe(400);
    expect((await callJson(listAlerts, "/api/alerts?ruleId=42", { key: keys.viewer })).status).toBe(400);

    const rules = await callJson<{ rules: RuleBody[] }>(listRules, "/api/alerts/rules", { key: keys.viewer });
    const rule = rules.body.rules.find((r) => r.name === "Always breached")!;
    expect(rule.counts).toEqual({ total: 1, active: 1, acknowledged: 0, resolved: 0 });
    expect(rule.lastFiredAt).toBe(alert.firedAt);
  });

  it("lets an operator acknowledge and resolve an alert, not a viewer, and audits both", async () => {
    const alert = await fireOne();
    const path = (action: string) => `/api/alerts/${alert.id}/${action}`;
    const asViewer = await callJson<{ error: { code: string } }>(ack, path("ack"), {
      method: "POST",
      key: keys.viewer,
      params: { id: alert.id },
    });
    expect(asViewer.status).toBe(403);
    expect(asViewer.body.error.code).toBe("forbidden");

    const acked = await callJson<{ alert: AlertBody }>(ack, path("ack"), {
      method: "POST",
      key: keys.operator,
      params: { id: alert.id },
    });
    expect(acked.status).toBe(200);
    expect(acked.body.alert).toMatchObject({ id: alert.id, state: "acknowledged" });
    expect(acked.body.alert.acknowledgedBy).toMatch(/^key:/);
    const twice = await callJson<{ alert: AlertBody }>(ack, path("ack"), {
      method: "POST",
      key: keys.admin,
      params: { id: alert.id },
      body: {},
    });
    expect(twice.body.alert.acknowledgedAt).toBe(acked.body.alert.acknowledgedAt);
    expect(twice.body.alert.acknowledgedBy).toBe(acked.body.alert.acknowledgedBy);

    expect(
      (await callJson(resolve, path("resolve"), { method: "POST", key: keys.viewer, params: { id: alert.id } })).status,
    ).toBe(403);
    const resolved = await callJson<{ alert: AlertBody }>(resolve, path("resolve"), {
      method: "POST",
      key: keys.operator,
      params: { id: alert.id },
    });
    expect(resolved.body.alert).toMatchObject({ state: "resolved", resolvedBy: acked.body.alert.acknowledgedBy });
    const late = await callJson<{ error: { code: string } }>(ack, path("ack"), {
      method: "POST",
      key: keys.operator,
      params: { id: alert.id },
    });
    expect(late.status).toBe(409);

    expect(
      (await callJson(ack, "/api/alerts/nope/ack", { method: "POST", key: keys.operator, params: { id: "nope" } }))
        .status,
    ).toBe(404);
    const unknown = "00000000-0000-4000-8000-000000000000";
    expect(
      (
        await callJson(resolve, `/api/alerts/${unknown}/resolve`, {
          method: "POST",
          key: keys.operator,
          params: { id: unknown },
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await callJson(ack, path("ack"), {
          method: "POST",
          key: keys.operator,
          params: { id: alert.id },
          body: { note: "junk" },
        })
      ).status,
    ).toBe(400);

    const audit = await queryRows<{ action: string; outcome: number; target: string | null }>(
      suite.db(),
      sql`select action, outcome, target from audit_log where target = ${alert.id} order by id`,
    );
    expect(audit.map((a) => [a.action, a.outcome])).toEqual([
      ["alerts.ack", 403],
      ["alerts.ack", 200],
      ["alerts.ack", 200],
      ["alerts.resolve", 403],
      ["alerts.resolve", 200],
      ["alerts.ack", 409],
      ["alerts.ack", 400],
    ]);
  });

  it("tests the channels (admin only): kept when a channel is not configured, never an error", async () => {
    expect(
      (await callJson(testChannels, "/api/alerts/channels/test", { method: "POST", key: keys.operator })).status,
    ).toBe(403);
    const both = await callJson<{ results: { channel: string; status: string; outcome: string }[] }>(
      testChannels,
      "/api/alerts/channels/test",
      { method: "POST", key: keys.admin },
    );
    expect(both.status).toBe(200);
    expect(both.body.results.map((r) => [r.channel, r.status, r.outcome])).toEqual([
      ["slack", "kept", "kept"],
      ["email", "kept", "kept"],
    ]);
    const one = await callJson<{ results: { channel: string }[] }>(testChannels, "/api/alerts/channels/test", {
      method: "POST",
      key: keys.admin,
      body: { channel: "email" },
    });
    expect(one.body.results.map((r) => r.channel)).toEqual(["email"]);
    expect(
      (
        await callJson(testChannels, "/api/alerts/channels/test", {
          method: "POST",
          key: keys.admin,
          body: { channel: "sms" },
        })
      ).status,
    ).toBe(400);
  });

  it("lists the outbox newest first with email addresses masked, filtered by status and channel, in pages", async () => {
    const db = suite.db();
    await enqueueMessage(db, {
      channel: "email",
      recipient: "jane.doe@client.example",
      subject: "Welcome jane.doe@client.example",
      body: "secret body",
    });
    await enqueueMessage(db, { channel: "slack", recipient: "slack", subject: "Heads up", body: "text" });
    await db.execute(
      sql`update outbox set last_error = '550 5.1.1 <jane.doe@client.example>: mailbox unavailable' where channel = 'email'`,
    );

    const all = await callJson<OutboxBody>(listOutbox, "/api/outbox", { key: keys.viewer });
    expect(all.status).toBe(200);
    expect(all.body.messages.map((m) => m.channel)).toEqual(["slack", "email"]);
    const email = all.body.messages[1]!;
    expect(email).toMatchObject({
      recipient: "j***@client.example",
      subject: "Welcome j***@client.example",
      status: "kept",
      attempts: 0,
    });
    expect(email.lastError).toBe("550 5.1.1 <j***@client.example>: mailbox unavailable");
    expect(JSON.stringify(all.body)).not.toContain("jane.doe");
    expect(JSON.stringify(all.body)).not.toContain("secret body");
    expect(all.body.messages[0]!.recipient).toBe("slack");

    const emails = await callJson<OutboxBody>(listOutbox, "/api/outbox?channel=email&status=kept", {
      key: keys.viewer,
    });
    expect(emails.body.messages.map((m) => m.id)).toEqual([email.id]);
    expect(
      (await callJson<OutboxBody>(listOutbox, "/api/outbox?status=sent", { key: keys.viewer })).body.messages,
    ).toEqual([]);

    const page1 = await callJson<OutboxBody>(listOutbox, "/api/outbox?limit=1", { key: keys.viewer });
    const page2 = await callJson<OutboxBody>(
      listOutbox,
      `/api/outbox?limit=1&cursor=${encodeURIComponent(page1.body.nextCursor!)}`,
      { key: keys.viewer },
    );
    expect([...page1.body.messages, ...page2.body.messages].map((m) => m.id)).toEqual(
      all.body.messages.map((m) => m.id),
    );
    expect(page2.body.nextCursor).toBeNull();
    expect((await callJson(listOutbox, "/api/outbox?status=lost", { key: keys.viewer })).status).toBe(400);
    expect((await callJson(listOutbox, "/api/outbox")).status).toBe(401);
  });
});
