/**
 * Alert rules evaluated against real data: a workflow that really fails, metric points really
 * recorded, a circuit really open. Notifications really reach a loopback Slack webhook and a
 * loopback SMTP server, through the outbox; a channel that is down is retried until it works.
 */
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { registerInProcessAgent } from "@/agents/catalog";
import { queryRows, type Db } from "@/db/client";
import { startRun } from "@/engine/start-run";
import { NonRetryableError } from "@/step-errors";
import { ConflictError, NotFoundError } from "@/errors";
import { deliverPendingMessages } from "@/notifications/outbox";
import { acknowledgeAlert, getAlert, listAlerts, resolveAlert } from "@/operations/alerts/alerts";
import { sendTestNotification } from "@/operations/alerts/channels-test";
import { evaluateAlerts, type EvaluationResult } from "@/operations/alerts/evaluate";
import {
  createRule,
  createRuleInput,
  deleteRule,
  getRule,
  listRules,
  updateRule,
  updateRuleInput,
  type CreateRuleInput,
} from "@/operations/alerts/rules";
import { flushMetrics, recordMetric } from "@/observability/metrics/record";
import { describeDb } from "../../helpers/db";
import { register, runUntilDone } from "../../helpers/engine";
import { startSlackReceiver, type FakeSlack } from "../../helpers/slack";
import { startSmtpServer, type FakeSmtpServer } from "../../helpers/smtp";

const ALERT_EMAIL = "oncall@alerts.example";
const PUBLIC_BASE_URL = "https://orchestrator.example";
const FAILING_AGENT = "alerts-failing";

let smtp: FakeSmtpServer;
let slack: FakeSlack;

beforeAll(async () => {
  smtp = await startSmtpServer();
  slack = await startSlackReceiver();
  registerInProcessAgent(FAILING_AGENT, {
    explode: async () => {
      throw new NonRetryableError("the supplier refused the order");
    },
  });
});

afterAll(async () => {
  await smtp.close();
  await slack.close();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

interface SlackPost {
  text: string;
  blocks: {
    type: string;
    text?: { text: string };
    fields?: { text: string }[];
    elements?: { url?: string; text?: unknown }[];
  }[];
}

const posts = () => slack.calls.map((c) => c.body as SlackPost);
const firedCount = (results: EvaluationResult[]) => results.reduce((n, r) => n + r.fired.length, 0);

async function outboxRows(db: Db) {
  return queryRows<{
    id: string;
    channel: string;
    recipient: string;
    status: string;
    attempts: number;
    dedupe_key: string | null;
    last_error: string | null;
    rich: string | null;
  }>(
    db,
    sql`select id, channel, recipient, status, attempts, dedupe_key, last_error, rich from outbox order by created_at, channel`,
  );
}

async function alertRows(db: Db) {
  return (await listAlerts(db, { limit: 200 })).alerts;
}

/** Enables only the built-in rules named (by key), so each test judges the rule it is about. */
async function onlyRules(db: Db, ...keys: string[]): Promise<void> {
  await db.execute(sql`update alert_rules set enabled = coalesce(builtin = any(${sql.param(keys)}::text[]), false)`);
}

async function ruleIdOf(db: Db, key: string): Promise<string> {
  const [row] = await queryRows<{ id: string }>(db, sql`select id from alert_rules where builtin = ${key}`);
  if (!row) throw new Error(`no built-in rule ${key}`);
  return row.id;
}

/** Makes pending outbox messages due now (instead of waiting for their backoff). */
async function makeDue(db: Db): Promise<void> {
  await db.execute(sql`update outbox set next_attempt_at = now() - interval '1 second' where status = 'pending'`);
}

describeDb("alerts", (suite) => {
  /** Registers (once) and runs a workflow whose only step always fails; answers the failed run's id. */
  async function failARun(): Promise<string> {
    await register(
      suite.db(),
      `
name: always_fails
steps:
  - name: order
    agent: ${FAILING_AGENT}
    action: explode
`,
    );
    const { id } = await startRun(suite.db(), { workflow: "always_fails" });
    const run = await runUntilDone(suite.db(), id);
    expect(run.status).toBe("failed");
    return id;
  }

  beforeEach(async () => {
    const db = suite.db();
    await flushMetrics(db); // points buffered by an earlier test must not land in this one
    await db.execute(sql`delete from alerts`);
    await db.execute(sql`delete from alert_rule_state`);
    await db.execute(sql`delete from outbox`);
    await db.execute(sql`delete from runs`);
    await db.execute(sql`delete from metric_points`);
    await db.execute(sql`delete from agent_circuits`);
    smtp.reset();
    slack.status = 200;
    slack.calls.length = 0;
    vi.stubEnv("SLACK_WEBHOOK_URL", `${slack.base}/services/T000/B000/alertstesttoken`);
    // Slack is called under the outbound policy: the loopback receiver is listed.
    vi.stubEnv("HTTP_STEP_ALLOWED_HOSTS", "127.0.0.1");
    vi.stubEnv("SMTP_URL", smtp.url());
    vi.stubEnv("ALERT_EMAIL", ALERT_EMAIL);
    vi.stubEnv("PUBLIC_BASE_URL", PUBLIC_BASE_URL);
  });

  describe("the failed-runs rule", () => {
    it("fires once for a failing workflow although five evaluators run at once, and notifies Slack (rich blocks) and email", async () => {
      const db = suite.db();
      await onlyRules(db, "failed_runs");
      await failARun();

      const results = await Promise.all(Array.from({ length: 5 }, () => evaluateAlerts(db)));
      expect(firedCount(results)).toBe(1);
      const alerts = await alertRows(db);
      expect(alerts).toHaveLength(1);
      const alert = alerts[0]!;
      expect(alert).toMatchObject({
        ruleId: await ruleIdOf(db, "failed_runs"),
        ruleName: "Failed runs",
        subject: "",
        severity: "warning",
        state: "active",
        value: 1,
      });
      expect(alert.message).toMatch(/^1 run failed in the last 5 min/);

      // One outbox message per channel, keyed by the alert, both delivered.
      const rows = await outboxRows(db);
      expect(rows.map((r) => [r.channel, r.dedupe_key, r.status])).toEqual([
        ["email", `alert:${alert.id}:fired:email`, "sent"],
        ["slack", `alert:${alert.id}:fired:slack`, "sent"],
      ]);

      // Slack got Block Kit: a header with the severity, the message, the facts, a dashboard button.
      expect(posts()).toHaveLength(1);
      const post = posts()[0]!;
      expect(post.blocks[0]).toMatchObject({ type: "header" });
      expect(post.blocks[0]!.text!.text).toBe("WARNING: Failed runs");
      expect(post.blocks[1]!.text!.text).toContain("1 run failed in the last 5 min");
      const fields = post.blocks.find((b) => b.fields)!.fields!.map((f) => f.text);
      expect(fields).toEqual(["*Rule*\nFailed runs", "*Subject*\nplatform", "*Value*\n1", "*Threshold*\nabove 0"]);
      const button = post.blocks.find((b) => b.type === "actions")!.elements![0]!;
      expect(button.url).toBe(`${PUBLIC_BASE_URL}/core-platform-dashboard`);

      // The SMTP server got one email to ALERT_EMAIL, text and HTML.
      expect(smtp.messages).toHaveLength(1);
      const mail = smtp.messages[0]!;
      expect(mail.to).toEqual([ALERT_EMAIL]);
      expect(mail.subject).toBe("[WARNING] Failed runs");
      expect(mail.data).toContain("text/plain");
      expect(mail.data).toContain("text/html");
      expect(mail.data).toContain("core-platform-dashboard");
    });

    it("refreshes the open alert while the breach lasts, and fires again only after the cooldown", async () => {
      const db = suite.db();
      await onlyRules(db, "failed_runs");
      await failARun();
      const first = await evaluateAlerts(db);
      expect(first.fired).toHaveLength(1);
      const alertId = first.fired[0]!.alertId;
      const seen = (await getAlert(db, alertId)).lastSeenAt;

      // A second failure while the alert is open: no new alert, the open one is refreshed.
      await failARun();
      await new Promise((r) => setTimeout(r, 5));
      const lasting = await evaluateAlerts(db);
      expect(lasting.fired).toEqual([]);
      const refreshed = await getAlert(db, alertId);
      expect(refreshed.value).toBe(2);
      expect(Date.parse(refreshed.lastSeenAt)).toBeGreaterThan(Date.parse(seen));

      // Resolved by hand while failures are still in the window: the cooldown (15 min) holds it back.
      await resolveAlert(db, alertId, "key:operator");
      expect((await evaluateAlerts(db)).fired).toEqual([]);
      expect(await alertRows(db)).toHaveLength(1);
      expect(posts()).toHaveLength(1);

      // Once the cooldown has passed, the persisting condition fires a new alert.
      await db.execute(sql`update alert_rule_state set last_fired_at = last_fired_at - interval '16 minutes'`);
      const again = await evaluateAlerts(db);
      expect(again.fired).toHaveLength(1);
      expect(again.fired[0]!.alertId).not.toBe(alertId);
      expect(posts()).toHaveLength(2);
      expect(smtp.messages).toHaveLength(2);
    });

    it("resolves the alert by itself when no run failed within the window any more", async () => {
      const db = suite.db();
      await onlyRules(db, "failed_runs");
      await failARun();
      const { fired } = await evaluateAlerts(db);
      expect(fired).toHaveLength(1);
      await db.execute(sql`update runs set finished_at = finished_at - interval '6 minutes'`);
      const result = await evaluateAlerts(db);
      expect(result.resolved).toBe(1);
      expect(await getAlert(db, fired[0]!.alertId)).toMatchObject({ state: "resolved", resolvedBy: "auto" });
    });
  });

  describe("escalation", () => {
    it("raises an unacknowledged alert to its escalation severity once, even with three evaluators, and notifies again", async () => {
      const db = suite.db();
      await onlyRules(db, "failed_runs"); // escalates after 60 min to critical
      await failARun();
      const { fired } = await evaluateAlerts(db);
      const alertId = fired[0]!.alertId;
      expect((await evaluateAlerts(db)).escalated).toBe(0); // not yet

      await db.execute(sql`update alerts set fired_at = fired_at - interval '61 minutes' where id = ${alertId}`);
      const results = await Promise.all(Array.from({ length: 3 }, () => evaluateAlerts(db)));
      expect(results.reduce((n, r) => n + r.escalated, 0)).toBe(1);
      const alert = await getAlert(db, alertId);
      expect(alert.severity).toBe("critical");
      expect(alert.state).toBe("active");
      expect(alert.escalatedAt).not.toBeNull();

      const rows = await outboxRows(db);
      expect(rows.filter((r) => r.dedupe_key?.includes(":escalated:")).map((r) => [r.dedupe_key, r.status])).toEqual([
        [`alert:${alertId}:escalated:email`, "sent"],
        [`alert:${alertId}:escalated:slack`, "sent"],
      ]);
      expect(posts()).toHaveLength(2);
      expect(posts()[1]!.blocks[0]!.text!.text).toBe("CRITICAL: Escalated: Failed runs");
      expect(smtp.messages.map((m) => m.subject)).toEqual([
        "[WARNING] Failed runs",
        "[CRITICAL] Escalated: Failed runs",
      ]);

      expect((await evaluateAlerts(db)).escalated).toBe(0); // once
    });

    it("does not escalate an acknowledged alert", async () => {
      const db = suite.db();
      await onlyRules(db, "failed_runs");
      await failARun();
      const { fired } = await evaluateAlerts(db);
      const alertId = fired[0]!.alertId;
      await acknowledgeAlert(db, alertId, "key:operator");
      await db.execute(sql`update alerts set fired_at = fired_at - interval '2 hours' where id = ${alertId}`);
      expect((await evaluateAlerts(db)).escalated).toBe(0);
      expect(await getAlert(db, alertId)).toMatchObject({
        severity: "warning",
        state: "acknowledged",
        escalatedAt: null,
      });
      expect(posts()).toHaveLength(1);
    });
  });

  describe("channels", () => {
    it("keeps a notification in the outbox while Slack and SMTP are down and delivers it once they are back: nothing lost", async () => {
      const db = suite.db();
      await onlyRules(db, "failed_runs");
      slack.status = 500;
      smtp.failMailFrom = "451 4.3.0 try again later";
      await failARun();
      const { fired } = await evaluateAlerts(db);
      expect(fired).toHaveLength(1);
      let rows = await outboxRows(db);
      expect(rows.map((r) => [r.channel, r.status, r.attempts])).toEqual([
        ["email", "pending", 1],
        ["slack", "pending", 1],
      ]);
      expect(rows.find((r) => r.channel === "slack")!.last_error).toContain("HTTP 500");
      expect(rows.find((r) => r.channel === "email")!.last_error).toContain("451");

      // Still down at the next sweep: rescheduled again.
      await makeDue(db);
      expect(await deliverPendingMessages(db, { limit: 10 })).toMatchObject({ sent: 0, retrying: 2 });

      // Back up: the sweep delivers both, each exactly once.
      slack.status = 200;
      smtp.failMailFrom = null;
      await makeDue(db);
      expect(await deliverPendingMessages(db, { limit: 10 })).toMatchObject({ sent: 2, retrying: 0, failed: 0 });
      rows = await outboxRows(db);
      expect(rows.map((r) => [r.channel, r.status, r.attempts])).toEqual([
        ["email", "sent", 3],
        ["slack", "sent", 3],
      ]);
      expect(slack.calls).toHaveLength(3); // two refused, one accepted
      expect(posts()[2]!.blocks[0]!.text!.text).toBe("WARNING: Failed runs");
      expect(smtp.messages).toHaveLength(1);
      expect(smtp.messages[0]!.to).toEqual([ALERT_EMAIL]);
    });

    it("keeps the email when ALERT_EMAIL is not set, and keeps Slack when it has no webhook", async () => {
      const db = suite.db();
      await onlyRules(db, "failed_runs");
      vi.stubEnv("ALERT_EMAIL", undefined);
      vi.stubEnv("SLACK_WEBHOOK_URL", undefined);
      await failARun();
      expect((await evaluateAlerts(db)).fired).toHaveLength(1);
      expect((await outboxRows(db)).map((r) => [r.channel, r.status])).toEqual([
        ["email", "kept"],
        ["slack", "kept"],
      ]);
      expect(smtp.mailFromCount).toBe(0);
      expect(slack.calls).toHaveLength(0);
    });

    it("sends a test notification to each configured channel and answers kept for one that is not", async () => {
      const db = suite.db();
      const both = await sendTestNotification(db);
      expect(both.map((r) => [r.channel, r.status, r.outcome])).toEqual([
        ["slack", "sent", "sent"],
        ["email", "sent", "sent"],
      ]);
      expect(posts()[0]!.blocks[0]!.text!.text).toBe("TEST: alert channel test");
      expect(smtp.messages[0]!.subject).toBe("[TEST] Alert channel test");

      vi.stubEnv("SMTP_URL", undefined);
      expect(await sendTestNotification(db, "email")).toEqual([
        expect.objectContaining({ channel: "email", status: "kept", outcome: "kept" }),
      ]);

      slack.status = 500;
      const [down] = await sendTestNotification(db, "slack");
      expect(down).toMatchObject({ channel: "slack", status: "pending", outcome: "retrying" });
      expect(down!.error).toContain("HTTP 500");
      expect(down!.error).not.toContain("alertstesttoken");
    });
  });

  describe("metric rules", () => {
    function points(agent: string, values: number[], errors = 0): void {
      values.forEach((value, i) =>
        recordMetric(suite.db(), {
          name: "agent.call.duration",
          value,
          error: i < errors,
          labels: { agent, action: "work", status: i < errors ? "failed" : "succeeded" },
        }),
      );
    }

    it("fires the slow-agent rule for the agent whose p95 is over 10 s, not for the others", async () => {
      const db = suite.db();
      await onlyRules(db, "slow_agent");
      // slowpoke: p95 of 10 × 100 ms and 10 × 12 s is 12 s; quick: 20 × 50 ms.
      points("slowpoke", [...Array<number>(10).fill(100), ...Array<number>(10).fill(12_000)]);
      points("quick", Array<number>(20).fill(50));
      await flushMetrics(db);
      const { fired } = await evaluateAlerts(db);
      expect(fired.map((f) => f.subject)).toEqual(["slowpoke"]);
      const alert = await getAlert(db, fired[0]!.alertId);
      expect(alert.value).toBe(12_000);
      expect(alert.message).toBe(
        'p95 of agent.call.duration for agent "slowpoke" is 12000 ms, above the threshold of 10000 ms (last 5 min, 20 points).',
      );

      // Ten minutes later the points are out of the window: the alert resolves by itself.
      const later = await evaluateAlerts(db, { now: new Date(Date.now() + 10 * 60_000) });
      expect(later.resolved).toBe(1);
      expect(await getAlert(db, alert.id)).toMatchObject({ state: "resolved", resolvedBy: "auto" });
    });

    it("judges the error rate only with at least minCount calls in the window", async () => {
      const db = suite.db();
      await onlyRules(db, "error_rate"); // > 10 % with at least 5 calls
      points("flaky", [10, 10, 10, 10], 3);
      await flushMetrics(db);
      expect((await evaluateAlerts(db)).fired).toEqual([]); // 3 of 4 failed, but 4 < 5 calls

      points("flaky", [10], 1);
      await flushMetrics(db);
      const { fired } = await evaluateAlerts(db);
      expect(fired.map((f) => f.subject)).toEqual(["flaky"]);
      const alert = await getAlert(db, fired[0]!.alertId);
      expect(alert.value).toBeCloseTo(0.8); // 4 of 5 calls failed
      expect(alert.message).toContain('error rate of agent.call.duration for agent "flaky" is 80 %');
    });
  });

  describe("the agent-down rule", () => {
    it("fires for the agent whose circuit is open and resolves when it closes", async () => {
      const db = suite.db();
      await onlyRules(db, "agent_down");
      await db.execute(sql`insert into agent_circuits (agent, state, consecutive_failures, opened_at, open_until)
        values ('design-ia', 'open', 5, now(), now() + interval '1 hour')`);
      const { fired } = await evaluateAlerts(db);
      expect(fired.map((f) => f.subject)).toEqual(["design-ia"]);
      const alert = await getAlert(db, fired[0]!.alertId);
      expect(alert).toMatchObject({ severity: "critical", value: 1 });
      expect(alert.message).toBe('Agent "design-ia" is down (circuit open, health probe ok).');
      expect(posts()[0]!.blocks[0]!.text!.text).toBe("CRITICAL: Agent down (design-ia)");

      await db.execute(sql`update agent_circuits set state = 'closed', open_until = null where agent = 'design-ia'`);
      const after = await evaluateAlerts(db);
      expect(after.resolved).toBe(1);
      expect((await getAlert(db, alert.id)).state).toBe("resolved");
    });
  });

  describe("acknowledge and resolve", () => {
    it("acknowledges once (the first one stands), resolves, refuses to acknowledge a resolved alert, and knows unknown ids", async () => {
      const db = suite.db();
      await onlyRules(db, "failed_runs");
      await failARun();
      const { fired } = await evaluateAlerts(db);
      const id = fired[0]!.alertId;

      const acked = await acknowledgeAlert(db, id, "key:alice");
      expect(acked).toMatchObject({ state: "acknowledged", acknowledgedBy: "key:alice" });
      const again = await acknowledgeAlert(db, id, "key:bob");
      expect(again).toMatchObject({
        state: "acknowledged",
        acknowledgedBy: "key:alice",
        acknowledgedAt: acked.acknowledgedAt,
      });

      // An acknowledged alert is still open: a lasting breach refreshes it, it does not fire again.
      expect((await evaluateAlerts(db)).fired).toEqual([]);

      const resolved = await resolveAlert(db, id, "key:bob");
      expect(resolved).toMatchObject({ state: "resolved", resolvedBy: "key:bob", acknowledgedBy: "key:alice" });
      await expect(acknowledgeAlert(db, id, "key:carol")).rejects.toBeInstanceOf(ConflictError);
      expect(await resolveAlert(db, id, "key:carol")).toMatchObject({
        resolvedBy: "key:bob",
        resolvedAt: resolved.resolvedAt,
      });

      const unknown = "00000000-0000-4000-8000-000000000000";
      await expect(acknowledgeAlert(db, unknown, "key:alice")).rejects.toBeInstanceOf(NotFoundError);
      await expect(resolveAlert(db, unknown, "key:alice")).rejects.toBeInstanceOf(NotFoundError);

      // The history: filters by state, counts per rule.
      expect((await listAlerts(db, { state: "resolved", limit: 10 })).alerts.map((a) => a.id)).toEqual([id]);
      expect((await listAlerts(db, { state: "active", limit: 10 })).alerts).toEqual([]);
      const rule = (await listRules(db)).find((r) => r.builtin === "failed_runs")!;
      expect(rule.counts).toEqual({ total: 1, active: 0, acknowledged: 0, resolved: 1 });
      expect(rule.lastFiredAt).toBe((await getAlert(db, id)).firedAt);
    });
  });

  describe("rules", () => {
    const valid: CreateRuleInput = {
      name: "Slow design",
      source: "metric",
      metric: "step.duration",
      aggregate: "p99",
      filter: { workflow: "site_generation" },
      groupBy: null,
      comparator: "gte",
      threshold: 30_000,
      windowSeconds: 600,
      severity: "info",
      cooldownSeconds: 300,
    };

    it("refuses incoherent rules with the field at fault", () => {
      const fails = (input: unknown, path: string) => {
        const parsed = createRuleInput.safeParse(input);
        expect(parsed.success, JSON.stringify(input)).toBe(false);
        expect(parsed.error!.issues.map((i) => i.path.join("."))).toContain(path);
      };
      expect(createRuleInput.safeParse(valid).success).toBe(true);
      fails({ ...valid, metric: undefined }, "metric");
      fails({ ...valid, aggregate: undefined }, "aggregate");
      fails({ ...valid, condition: "failed_runs" }, "condition");
      fails(
        {
          ...valid,
          source: "condition",
          condition: "failed_runs",
          metric: undefined,
          aggregate: undefined,
          filter: { agent: "ads" },
        },
        "filter",
      );
      fails(
        {
          ...valid,
          source: "condition",
          condition: "queue_backlog",
          metric: undefined,
          aggregate: undefined,
          filter: {},
          groupBy: "agent",
        },
        "groupBy",
      );
      fails({ ...valid, windowSeconds: 5 }, "windowSeconds");
      fails({ ...valid, windowSeconds: 86_401 }, "windowSeconds");
      fails({ ...valid, cooldownSeconds: -1 }, "cooldownSeconds");
      fails({ ...valid, escalateAfterMinutes: 10 }, "escalateTo");
      fails({ ...valid, escalateAfterMinutes: 0, escalateTo: "critical" }, "escalateAfterMinutes");
      fails({ ...valid, channels: ["sms"] }, "channels.0");
      fails({ ...valid, channels: ["slack", "slack"] }, "channels");
      fails({ ...valid, severity: "panic" }, "severity");
      fails({ ...valid, threshold: "10" }, "threshold");
      fails({ ...valid, extra: true }, "");
      // agent_down is per agent by nature: its grouping may be left out.
      const agentDown = createRuleInput.parse({
        ...valid,
        name: "x",
        source: "condition",
        condition: "agent_down",
        metric: undefined,
        aggregate: undefined,
        filter: {},
        groupBy: undefined,
      });
      expect(agentDown.groupBy).toBe("agent");
    });

    it("creates, lists, updates and deletes a custom rule; a taken name is a conflict; the merged rule must stay valid", async () => {
      const db = suite.db();
      const created = await createRule(db, createRuleInput.parse(valid));
      expect(created).toMatchObject({
        name: "Slow design",
        builtin: null,
        enabled: true,
        channels: ["slack", "email"],
        minCount: 1,
        counts: { total: 0, active: 0, acknowledged: 0, resolved: 0 },
        lastFiredAt: null,
      });
      expect((await listRules(db)).map((r) => r.name)).toContain("Slow design");
      await expect(createRule(db, createRuleInput.parse({ ...valid, description: "again" }))).rejects.toBeInstanceOf(
        ConflictError,
      );

      const updated = await updateRule(
        db,
        created.id,
        updateRuleInput.parse({ threshold: 45_000, channels: ["slack"] }),
      );
      expect(updated).toMatchObject({ threshold: 45_000, channels: ["slack"], aggregate: "p99", name: "Slow design" });
      await expect(updateRule(db, created.id, updateRuleInput.parse({ source: "condition" }))).rejects.toThrow(
        /condition/,
      );
      await expect(updateRule(db, created.id, updateRuleInput.parse({ name: "Failed runs" }))).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect(updateRuleInput.safeParse({}).success).toBe(false);
      expect(updateRuleInput.safeParse({ windowSeconds: 1 }).success).toBe(false);
      expect((await getRule(db, created.id)).threshold).toBe(45_000); // refused updates changed nothing

      await deleteRule(db, created.id);
      await expect(getRule(db, created.id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(deleteRule(db, created.id)).rejects.toBeInstanceOf(NotFoundError);
    });

    it("lets a built-in rule be tuned and disabled but not repurposed or deleted; disabling resolves its open alerts", async () => {
      const db = suite.db();
      await onlyRules(db, "failed_runs");
      const id = await ruleIdOf(db, "failed_runs");
      await failARun();
      const { fired } = await evaluateAlerts(db);
      expect(fired).toHaveLength(1);

      await expect(updateRule(db, id, updateRuleInput.parse({ condition: "queue_backlog" }))).rejects.toBeInstanceOf(
        ConflictError,
      );
      await expect(deleteRule(db, id)).rejects.toBeInstanceOf(ConflictError);
      const tuned = await updateRule(db, id, updateRuleInput.parse({ threshold: 3, cooldownSeconds: 60 }));
      expect(tuned).toMatchObject({
        threshold: 3,
        cooldownSeconds: 60,
        condition: "failed_runs",
        builtin: "failed_runs",
      });

      await updateRule(db, id, updateRuleInput.parse({ enabled: false }));
      const result = await evaluateAlerts(db);
      expect(result.resolved).toBe(1);
      expect(await getAlert(db, fired[0]!.alertId)).toMatchObject({ state: "resolved", resolvedBy: "auto" });

      await updateRule(db, id, updateRuleInput.parse({ enabled: true, threshold: 0, cooldownSeconds: 900 }));
    });
  });
});
