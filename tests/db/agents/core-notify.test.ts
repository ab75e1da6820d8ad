/**
 * `core.notify_client` and `core.notify_admin` called the way the gateway calls them (input
 * parsed, handler run with a context, output parsed), against a loopback SMTP server and a
 * loopback Slack webhook.
 */
import { OUTBOX_CONTEXT } from "@/notifications/personal";
import { decryptField } from "@/privacy/crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from "vitest";
import type { z } from "zod";
import { core } from "@/agents/core";
import { notifyAdminAction, notifyClientAction } from "@/agents/core/notify";
import type { ActionSpec } from "@/agents/framework";
import { outbox } from "@/db/schema";
import { deliverPendingMessages } from "@/notifications/outbox";
import { actionContext } from "../../helpers/agents";
import { describeDb, type DbSuite } from "../../helpers/db";
import { startSlackReceiver, type FakeSlack } from "../../helpers/slack";
import { startSmtpServer, type FakeSmtpServer } from "../../helpers/smtp";

let smtp: FakeSmtpServer;
let slack: FakeSlack;
const slackCalls = () => slack.calls as { path: string; body: { text: string; blocks: unknown[] } }[];

beforeAll(async () => {
  smtp = await startSmtpServer();
  slack = await startSlackReceiver();
});

afterAll(async () => {
  await smtp.close();
  await slack.close();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** Parses the input, runs the handler with an engine-like context, parses the output. */
async function invoke<I extends z.ZodType, O extends z.ZodType>(
  suite: DbSuite,
  action: ActionSpec<I, O>,
  input: unknown,
  idempotencyKey: string | null,
): Promise<z.output<O>> {
  const output = await action.handler(
    action.input.parse(input),
    actionContext("core", "notify", { db: suite.db(), idempotencyKey }),
  );
  return action.output.parse(output);
}

function configure(env: { smtp?: boolean; slack?: boolean; alertEmail?: string }): void {
  vi.stubEnv("SMTP_URL", env.smtp ? smtp.url({ user: "mailer", pass: "notify-test-password" }) : undefined);
  vi.stubEnv("SLACK_WEBHOOK_URL", env.slack ? `${slack.base}/services/T1/B1/notifytesttoken` : undefined);
  // Slack is called under the outbound policy: the loopback receiver is listed.
  vi.stubEnv("HTTP_STEP_ALLOWED_HOSTS", "127.0.0.1");
  vi.stubEnv("ALERT_EMAIL", env.alertEmail);
}

describeDb("core notify actions", (suite) => {
  beforeEach(async () => {
    smtp.reset();
    slack.calls.length = 0;
    await suite.db().delete(outbox);
  });

  const rows = () => suite.db().select().from(outbox).orderBy(outbox.createdAt);

  it("are the core agent's notify_client and notify_admin, with a 30 s timeout", () => {
    expect(core.actions.notify_client).toBe(notifyClientAction);
    expect(core.actions.notify_admin).toBe(notifyAdminAction);
    expect(notifyClientAction.timeoutMs).toBe(30_000);
    expect(notifyAdminAction.timeoutMs).toBe(30_000);
  });

  it("notify_client emails exactly once per idempotency key, with the subject, text and html", async () => {
    configure({ smtp: true });
    const input = {
      to: "client@example.com",
      subject: "Your site is ready",
      text: "Visit it now",
      html: "<p>Visit it <b>now</b></p>",
    };
    const first = await invoke(suite, notifyClientAction, input, "run-a:email_client");
    expect(first).toMatchObject({ channel: "email", status: "sent", created: true });
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]).toMatchObject({ subject: "Your site is ready", to: ["client@example.com"] });
    expect(smtp.messages[0]!.data).toContain("Visit it now");
    expect(smtp.messages[0]!.data).toContain("<p>Visit it <b>now</b></p>");

    // The engine retries the step: same key, nothing sent again.
    const retried = await invoke(suite, notifyClientAction, input, "run-a:email_client");
    expect(retried).toEqual({ ...first, created: false });
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.mailFromCount).toBe(1);
    expect(await rows()).toHaveLength(1);
  });

  it("notify_client keeps the message when SMTP is not configured", async () => {
    configure({});
    const out = await invoke(
      suite,
      notifyClientAction,
      { to: "client@example.com", subject: "Kept", text: "Stored" },
      "run-b:email",
    );
    expect(out).toMatchObject({ channel: "email", status: "kept", created: true });
    expect(smtp.mailFromCount).toBe(0);
    const [row] = await rows();
    expect(row).toMatchObject({ id: out.messageId, status: "kept", subject: "Kept" });
    // The client's address and the body are stored encrypted (personal data).
    expect(row!.recipient).toMatch(/^enc:v\d+:/);
    expect(decryptField(row!.recipient, OUTBOX_CONTEXT.recipient)).toBe("client@example.com");
    expect(decryptField(row!.body, OUTBOX_CONTEXT.body)).toBe("Stored");
  });

  it("notify_client leaves a failed send pending without failing the step, and the sweep sends it later, once", async () => {
    configure({ smtp: true });
    smtp.failMailFrom = "451 4.3.0 greylisted, try later";
    const input = { to: "client@example.com", subject: "Later", text: "Eventually delivered" };
    const out = await invoke(suite, notifyClientAction, input, "run-c:email");
    expect(out).toMatchObject({ status: "pending", created: true });
    const [row] = await rows();
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    expect(row!.lastError).toContain("451 4.3.0 greylisted");
    expect(row!.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now());

    // A retry of the step before the next attempt is due neither sends nor stores again.
    smtp.failMailFrom = null;
    expect(await invoke(suite, notifyClientAction, input, "run-c:email")).toMatchObject({
      messageId: out.messageId,
      status: "pending",
      created: false,
    });
    expect(smtp.messages).toHaveLength(0);

    await suite
      .db()
      .update(outbox)
      .set({ nextAttemptAt: sql`now() - interval '1 second'` })
      .where(eq(outbox.id, out.messageId));
    expect(await deliverPendingMessages(suite.db(), { limit: 10 })).toMatchObject({ sent: 1 });
    expect(smtp.messages.map((m) => m.subject)).toEqual(["Later"]);
    expect(await invoke(suite, notifyClientAction, input, "run-c:email")).toMatchObject({
      status: "sent",
      created: false,
    });
    expect(smtp.messages).toHaveLength(1);
  });

  it("notify_client without an idempotency key (a manual call) stores and sends each call", async () => {
    configure({ smtp: true });
    const input = { to: "client@example.com", subject: "Manual", text: "Again" };
    const a = await invoke(suite, notifyClientAction, input, null);
    const b = await invoke(suite, notifyClientAction, input, null);
    expect(a.messageId).not.toBe(b.messageId);
    expect(smtp.messages).toHaveLength(2);
  });

  it("notify_client refuses an invalid address and over-long fields", () => {
    const valid = { to: "client@example.com", subject: "s", text: "t" };
    expect(notifyClientAction.input.safeParse(valid).success).toBe(true);
    for (const bad of [
      { ...valid, to: "not an email" },
      { ...valid, subject: "" },
      { ...valid, subject: "x".repeat(201) },
      { ...valid, text: "" },
      { ...valid, text: "x".repeat(20_001) },
      { ...valid, html: "x".repeat(200_001) },
    ]) {
      expect(notifyClientAction.input.safeParse(bad).success).toBe(false);
    }
  });

  it("notify_admin posts Slack blocks with the subject, the escaped text and the severity", async () => {
    configure({ slack: true });
    const out = await invoke(
      suite,
      notifyAdminAction,
      { subject: "Queue backlog", text: "Depth 500 > 100 & rising", severity: "critical" },
      "run-d:alert",
    );
    expect(out.messages).toEqual([
      { messageId: expect.any(String) as string, channel: "slack", status: "sent", created: true },
    ]);
    expect(slackCalls()).toHaveLength(1);
    expect(slackCalls()[0]!.path).toBe("/services/T1/B1/notifytesttoken");
    expect(slackCalls()[0]!.body.blocks).toEqual([
      { type: "header", text: { type: "plain_text", text: "Queue backlog", emoji: true } },
      { type: "section", text: { type: "mrkdwn", text: "Depth 500 &gt; 100 &amp; rising" } },
      { type: "context", elements: [{ type: "mrkdwn", text: ":rotating_light: *Severity:* critical" }] },
    ]);
    expect(slackCalls()[0]!.body.text).toContain("Queue backlog");

    // Severity defaults to warning.
    await invoke(suite, notifyAdminAction, { subject: "Slow", text: "p95 high" }, "run-d:alert2");
    expect(JSON.stringify(slackCalls()[1]!.body.blocks)).toContain("*Severity:* warning");
  });

  it("notify_admin alerts Slack and ALERT_EMAIL once each per idempotency key", async () => {
    configure({ smtp: true, slack: true, alertEmail: "ops@example.com" });
    const input = { subject: "Run failed", text: "Run 42 failed at step publish", severity: "warning" };
    const out = await invoke(suite, notifyAdminAction, input, "run-e:notify_admin");
    expect(out.messages.map((m) => [m.channel, m.status, m.created])).toEqual([
      ["slack", "sent", true],
      ["email", "sent", true],
    ]);
    expect(slackCalls()).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]).toMatchObject({ to: ["ops@example.com"], subject: "[warning] Run failed" });
    expect((await rows()).map((r) => r.dedupeKey).sort()).toEqual([
      "run-e:notify_admin:email",
      "run-e:notify_admin:slack",
    ]);

    const retried = await invoke(suite, notifyAdminAction, input, "run-e:notify_admin");
    expect(retried.messages.map((m) => [m.channel, m.status, m.created])).toEqual([
      ["slack", "sent", false],
      ["email", "sent", false],
    ]);
    expect(slackCalls()).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
  });

  it("notify_admin with no usable channel keeps one email message for the admin", async () => {
    configure({});
    const none = await invoke(suite, notifyAdminAction, { subject: "Nobody listens", text: "t" }, "run-f:a");
    expect(none.messages).toMatchObject([{ channel: "email", status: "kept", created: true }]);

    configure({ alertEmail: "ops@example.com" });
    const addressOnly = await invoke(suite, notifyAdminAction, { subject: "No SMTP", text: "t" }, "run-f:b");
    expect(addressOnly.messages).toMatchObject([{ channel: "email", status: "kept" }]);

    // SMTP without ALERT_EMAIL has nobody to send to: kept as well, nothing sent.
    configure({ smtp: true });
    const smtpOnly = await invoke(suite, notifyAdminAction, { subject: "No address", text: "t" }, "run-f:c");
    expect(smtpOnly.messages).toMatchObject([{ channel: "email", status: "kept" }]);
    expect(smtp.mailFromCount).toBe(0);

    expect((await rows()).map((r) => [r.recipient, r.status, r.subject])).toEqual([
      ["admin", "kept", "[warning] Nobody listens"],
      ["ops@example.com", "kept", "[warning] No SMTP"],
      ["admin", "kept", "[warning] No address"],
    ]);
  });
});
