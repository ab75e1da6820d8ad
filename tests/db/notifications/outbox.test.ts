/**
 * The outbox against a loopback SMTP server and a loopback Slack webhook: what is stored,
 * when it is sent, how failures are retried with backoff and given up after 8 attempts, and
 * that concurrent deliverers never send one message twice.
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from "vitest";
import type { Db } from "@/db/client";
import { outbox } from "@/db/schema";
import {
  deliverMessage,
  deliverPendingMessages,
  enqueueMessage,
  MAX_ATTEMPTS,
  type EnqueueMessageParams,
} from "@/notifications/outbox";
import { describeDb } from "../../helpers/db";
import { startSlackReceiver, type FakeSlack } from "../../helpers/slack";
import { startSmtpServer, type FakeSmtpServer } from "../../helpers/smtp";

let smtp: FakeSmtpServer;
let slack: FakeSlack;

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

const email = (subject: string, extra: Partial<EnqueueMessageParams> = {}): EnqueueMessageParams => ({
  channel: "email",
  recipient: "client@example.com",
  subject,
  body: `Body of ${subject}`,
  ...extra,
});

async function rowOf(db: Db, id: string) {
  const [row] = await db.select().from(outbox).where(eq(outbox.id, id));
  if (!row) throw new Error(`no outbox row ${id}`);
  return row;
}

/** Makes every pending message due now (instead of waiting for its backoff). */
async function makeDue(db: Db): Promise<void> {
  await db.update(outbox).set({ nextAttemptAt: sql`now() - interval '1 second'` }).where(eq(outbox.status, "pending"));
}

describeDb("notification outbox", (suite) => {
  beforeEach(async () => {
    smtp.reset();
    slack.status = 200;
    slack.calls.length = 0;
    await suite.db().delete(outbox);
    vi.stubEnv("SMTP_URL", smtp.url({ user: "mailer", pass: "outbox-test-password" }));
    vi.stubEnv("SLACK_WEBHOOK_URL", `${slack.base}/services/T000/B000/outboxtesttoken`);
    // Slack is called under the outbound policy: the loopback receiver is listed.
    vi.stubEnv("HTTP_STEP_ALLOWED_HOSTS", "127.0.0.1");
  });

  it("stores a message pending when its channel is configured and kept when it is not", async () => {
    const db = suite.db();
    const pending = await enqueueMessage(db, email("configured"));
    expect(pending).toMatchObject({ status: "pending", created: true });

    vi.stubEnv("SMTP_URL", undefined);
    vi.stubEnv("SLACK_WEBHOOK_URL", undefined);
    const keptEmail = await enqueueMessage(db, email("no smtp"));
    const keptSlack = await enqueueMessage(db, {
      channel: "slack",
      recipient: "slack",
      subject: "no webhook",
      body: "text",
    });
    expect(keptEmail.status).toBe("kept");
    expect(keptSlack.status).toBe("kept");

    // Kept messages are stored whole and never claimed by a deliverer.
    const row = await rowOf(db, keptEmail.id);
    expect(row).toMatchObject({
      subject: "no smtp",
      body: "Body of no smtp",
      recipient: "client@example.com",
      attempts: 0,
    });
    vi.stubEnv("SMTP_URL", smtp.url());
    expect(await deliverPendingMessages(db, { limit: 10 })).toEqual({ sent: 1, retrying: 0, failed: 0, kept: 0 });
    expect((await rowOf(db, keptEmail.id)).status).toBe("kept");
  });

  it("stores a repeated dedupe key once and answers the first message", async () => {
    const db = suite.db();
    const first = await enqueueMessage(db, email("once", { dedupeKey: "run-1:notify" }));
    const again = await enqueueMessage(db, email("a different subject", { dedupeKey: "run-1:notify" }));
    expect(again).toEqual({ id: first.id, status: "pending", created: false });
    const rows = await db.select().from(outbox);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.subject).toBe("once");
  });

  it("sends a pending email once, with its subject, text and html, and marks it sent", async () => {
    const db = suite.db();
    const message = await enqueueMessage(
      db,
      email("Your site is live", { body: "Plain text body", rich: "<p>HTML body</p>" }),
    );
    const result = await deliverMessage(db, message.id);
    expect(result).toEqual({ id: message.id, outcome: "sent", status: "sent" });

    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.subject).toBe("Your site is live");
    expect(mail.to).toEqual(["client@example.com"]);
    expect(mail.from).toBe("no-reply@localhost");
    expect(mail.data).toContain("Plain text body");
    expect(mail.data).toContain("<p>HTML body</p>");
    expect(mail.auth).toEqual({ user: "mailer", pass: "outbox-test-password" });

    const row = await rowOf(db, message.id);
    expect(row).toMatchObject({ status: "sent", attempts: 1, nextAttemptAt: null, lastError: null });
    expect(row.sentAt).toBeInstanceOf(Date);
    expect(await deliverMessage(db, message.id)).toEqual({ id: message.id, outcome: "skipped", status: "sent" });
    expect(smtp.messages).toHaveLength(1);
  });

  it("sends from SMTP_FROM, else from no-reply at the host of PUBLIC_BASE_URL", async () => {
    vi.stubEnv("PUBLIC_BASE_URL", "https://sites.example.org/app");
    await deliverMessage(suite.db(), (await enqueueMessage(suite.db(), email("default sender"))).id);
    vi.stubEnv("SMTP_FROM", "Studio <hello@studio.example>");
    await deliverMessage(suite.db(), (await enqueueMessage(suite.db(), email("configured sender"))).id);
    expect(smtp.messages.map((m) => m.from)).toEqual(["no-reply@sites.example.org", "hello@studio.example"]);
    expect(smtp.messages[1]!.data).toContain("From: Studio <hello@studio.example>");
  });

  it("keeps a refused email pending with one attempt, its error and a next attempt 30 s later, then sends it once due", async () => {
    const db = suite.db();
    smtp.failMailFrom = "451 4.3.0 mailbox busy, try later";
    const message = await enqueueMessage(db, email("retry me"));
    const before = Date.now();
    expect(await deliverMessage(db, message.id)).toEqual({ id: message.id, outcome: "retrying", status: "pending" });

    const failed = await rowOf(db, message.id);
    expect(failed.status).toBe("pending");
    expect(failed.attempts).toBe(1);
    expect(failed.lastError).toContain("451 4.3.0 mailbox busy");
    expect(failed.lastError!.length).toBeLessThanOrEqual(500);
    const delay = failed.nextAttemptAt!.getTime() - before;
    expect(delay).toBeGreaterThan(25_000);
    expect(delay).toBeLessThan(40_000);

    // Not due yet: the sweep leaves it alone.
    smtp.failMailFrom = null;
    expect(await deliverPendingMessages(db, { limit: 10 })).toEqual({ sent: 0, retrying: 0, failed: 0, kept: 0 });
    expect(smtp.messages).toHaveLength(0);

    await makeDue(db);
    expect(await deliverPendingMessages(db, { limit: 10 })).toEqual({ sent: 1, retrying: 0, failed: 0, kept: 0 });
    expect(smtp.messages.map((m) => m.subject)).toEqual(["retry me"]);
    expect(await rowOf(db, message.id)).toMatchObject({ status: "sent", attempts: 2 });
  });

  it("doubles the backoff from 30 s and marks the message failed after 8 failed attempts", async () => {
    const db = suite.db();
    smtp.failMailFrom = "451 4.3.0 try later";
    const message = await enqueueMessage(db, email("never accepted"));
    const delays: number[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      await makeDue(db);
      const before = Date.now();
      const counts = await deliverPendingMessages(db, { limit: 10 });
      const row = await rowOf(db, message.id);
      expect(row.attempts).toBe(attempt);
      if (attempt < MAX_ATTEMPTS) {
        expect(counts).toEqual({ sent: 0, retrying: 1, failed: 0, kept: 0 });
        delays.push(Math.round((row.nextAttemptAt!.getTime() - before) / 1000));
      } else {
        expect(counts).toEqual({ sent: 0, retrying: 0, failed: 1, kept: 0 });
        expect(row).toMatchObject({ status: "failed", nextAttemptAt: null });
        expect(row.lastError).toContain("451");
      }
    }
    const expected = [30, 60, 120, 240, 480, 960, 1920];
    delays.forEach((delay, i) => expect(Math.abs(delay - expected[i]!)).toBeLessThanOrEqual(3));
    expect(smtp.mailFromCount).toBe(MAX_ATTEMPTS);

    // A failed message is never tried again.
    smtp.failMailFrom = null;
    await db.update(outbox).set({ nextAttemptAt: sql`now() - interval '1 second'` });
    expect(await deliverPendingMessages(db, { limit: 10 })).toEqual({ sent: 0, retrying: 0, failed: 0, kept: 0 });
    expect(smtp.messages).toHaveLength(0);
  });

  it("sends each message once when two deliverers run at the same time", async () => {
    const db = suite.db();
    smtp.dataDelayMs = 100;
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await enqueueMessage(db, email(`concurrent ${i}`))).id);
    const [a, b] = await Promise.all([
      deliverPendingMessages(db, { limit: 10 }),
      deliverPendingMessages(db, { limit: 10 }),
    ]);
    expect(a.sent + b.sent).toBe(6);
    // On Postgres both really ran at once (PGlite has one connection and runs them in turn).
    if (suite.target === "postgres") expect(Math.min(a.sent, b.sent)).toBeGreaterThan(0);
    expect(smtp.messages.map((m) => m.subject).sort()).toEqual(ids.map((_, i) => `concurrent ${i}`).sort());

    // The same message delivered twice at once: one sends it, the other skips it (and sees it
    // still pending while the send is in flight on Postgres, or already sent on PGlite).
    const single = await enqueueMessage(db, email("raced"));
    const results = await Promise.all([deliverMessage(db, single.id), deliverMessage(db, single.id)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(["sent", "skipped"]);
    expect(["pending", "sent"]).toContain(results.find((r) => r.outcome === "skipped")?.status);
    expect(smtp.messages.filter((m) => m.subject === "raced")).toHaveLength(1);
    expect(await rowOf(db, single.id)).toMatchObject({ status: "sent", attempts: 1 });
  });

  it("counts an aborted send as a failed attempt and releases the message", async () => {
    const db = suite.db();
    smtp.dataDelayMs = 2_000;
    const message = await enqueueMessage(db, email("slow server"));
    const started = Date.now();
    const result = await deliverMessage(db, message.id, { signal: AbortSignal.timeout(200) });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(result).toMatchObject({ outcome: "retrying", status: "pending" });
    expect((await rowOf(db, message.id)).lastError).toBe("the send was aborted");
    // An already aborted signal claims nothing.
    await makeDue(db);
    const aborted = new AbortController();
    aborted.abort();
    expect(await deliverMessage(db, message.id, { signal: aborted.signal })).toMatchObject({
      outcome: "skipped",
      status: "pending",
    });
    expect((await rowOf(db, message.id)).attempts).toBe(1);
  });

  it("keeps a pending message whose channel was unconfigured before delivery", async () => {
    const db = suite.db();
    const message = await enqueueMessage(db, email("config removed"));
    vi.stubEnv("SMTP_URL", undefined);
    expect(await deliverMessage(db, message.id)).toEqual({ id: message.id, outcome: "kept", status: "kept" });
    expect(await rowOf(db, message.id)).toMatchObject({ status: "kept", attempts: 0 });
    expect(smtp.mailFromCount).toBe(0);
  });

  it("posts Slack messages as {text, blocks} and treats a non-2xx answer as a failure", async () => {
    const db = suite.db();
    const ok = await enqueueMessage(db, {
      channel: "slack",
      recipient: "slack",
      subject: "Deploy done",
      body: "All *green*",
    });
    expect((await deliverMessage(db, ok.id)).outcome).toBe("sent");
    expect(slack.calls).toHaveLength(1);
    expect(slack.calls[0]!.path).toBe("/services/T000/B000/outboxtesttoken");
    expect(slack.calls[0]!.body).toEqual({
      text: "Deploy done\nAll *green*",
      blocks: [
        { type: "header", text: { type: "plain_text", text: "Deploy done", emoji: true } },
        { type: "section", text: { type: "mrkdwn", text: "All *green*" } },
      ],
    });

    slack.status = 404;
    const refused = await enqueueMessage(db, {
      channel: "slack",
      recipient: "slack",
      subject: "Refused",
      body: "text",
    });
    expect(await deliverMessage(db, refused.id)).toMatchObject({ outcome: "retrying", status: "pending" });
    const row = await rowOf(db, refused.id);
    expect(row.attempts).toBe(1);
    expect(row.lastError).toBe("Slack answered HTTP 404: no_service");
  });
});
