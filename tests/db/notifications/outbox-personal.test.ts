/**
 * Personal outbox messages (`personal: true`): the recipient, body and rich text are stored as
 * encryption tokens (the subject in clear), delivered as plaintext, listed with a masked
 * recipient, and the recipient stays out of `last_error` and the log even when the SMTP server
 * quotes it. Messages without the flag stay in clear.
 */
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from "vitest";
import { queryRows, type Db } from "@/db/client";
import { outbox } from "@/db/schema";
import { listOutbox } from "@/notifications/outbox-list";
import {
  deliverMessage,
  deliverPendingMessages,
  enqueueMessage,
  OUTBOX_CONTEXT,
  type EnqueueMessageParams,
} from "@/notifications/outbox";
import { decryptField, isEncrypted, keyVersionOf } from "@/privacy/crypto";
import { ENCRYPTED_COLUMNS } from "@/privacy/registry";
import { captureOutput } from "../../helpers/output";
import { describeDb } from "../../helpers/db";
import { startSmtpServer, type FakeSmtpServer } from "../../helpers/smtp";

const K1 = randomBytes(32).toString("base64");
const K2 = randomBytes(32).toString("base64");

const RECIPIENT = "jane.doe@client.example";
const BODY = "Hello Jane Doe, your order #1042 has shipped to 12 Rue de la Paix.";
const RICH = "<p>Hello <b>Jane Doe</b>, your order #1042 has shipped.</p>";

let smtp: FakeSmtpServer;
const captured: string[] = [];

beforeAll(async () => {
  smtp = await startSmtpServer();
});

afterAll(async () => {
  await smtp.close();
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const personal = (extra: Partial<EnqueueMessageParams> = {}): EnqueueMessageParams => ({
  channel: "email",
  recipient: RECIPIENT,
  subject: "Order #1042 shipped",
  body: BODY,
  rich: RICH,
  personal: true,
  ...extra,
});

interface RawRow {
  recipient: string;
  subject: string;
  body: string;
  rich: string | null;
  status: string;
  attempts: number;
  last_error: string | null;
}

/** The row exactly as stored (what a database dump shows). */
async function rawRow(db: Db, id: string): Promise<RawRow> {
  const [row] = await queryRows<RawRow>(
    db,
    sql`select recipient, subject, body, rich, status, attempts, last_error from outbox where id = ${id}`,
  );
  if (!row) throw new Error(`no outbox row ${id}`);
  return row;
}

describeDb("personal outbox messages", (suite) => {
  beforeEach(async () => {
    smtp.reset();
    captured.length = 0;
    await suite.db().delete(outbox);
    vi.stubEnv("ENCRYPTION_KEYS", `1:${K1}`);
    vi.stubEnv("SMTP_URL", smtp.url({ user: "mailer", pass: "personal-test-password" }));
  });

  it("stores a personal message's recipient, body and rich text as tokens and its subject in clear", async () => {
    const db = suite.db();
    const message = await enqueueMessage(db, personal());
    expect(message).toMatchObject({ status: "pending", created: true });

    const row = await rawRow(db, message.id);
    expect(isEncrypted(row.recipient)).toBe(true);
    expect(isEncrypted(row.body)).toBe(true);
    expect(isEncrypted(row.rich)).toBe(true);
    expect(row.subject).toBe("Order #1042 shipped");
    const dump = JSON.stringify(row);
    for (const secret of ["jane.doe", "Jane Doe", "Rue de la Paix"])
      expect(dump, "personal data stored in clear").not.toContain(secret);

    // Each token is bound to its column's context.
    expect(decryptField(row.recipient, OUTBOX_CONTEXT.recipient)).toBe(RECIPIENT);
    expect(decryptField(row.body, OUTBOX_CONTEXT.body)).toBe(BODY);
    expect(decryptField(row.rich!, OUTBOX_CONTEXT.rich)).toBe(RICH);
    expect(() => decryptField(row.body, OUTBOX_CONTEXT.recipient)).toThrow(/authentication failed/);

    // Without rich text, rich stays null.
    const plainOnly = await rawRow(db, (await enqueueMessage(db, personal({ rich: null }))).id);
    expect(plainOnly.rich).toBeNull();
  });

  it("stores messages without the personal flag in clear, as before", async () => {
    const db = suite.db();
    const message = await enqueueMessage(db, {
      channel: "email",
      recipient: "ops@studio.example",
      subject: "Alert",
      body: "Disk full",
      rich: "<p>Disk full</p>",
    });
    expect(await rawRow(db, message.id)).toMatchObject({
      recipient: "ops@studio.example",
      subject: "Alert",
      body: "Disk full",
      rich: "<p>Disk full</p>",
    });
  });

  it("registers the contexts it encrypts with for key rotation, allowing the plaintext of other messages", () => {
    const spec = ENCRYPTED_COLUMNS.find((s) => s.table === "outbox");
    expect(spec?.columns).toEqual([
      { name: "recipient", context: OUTBOX_CONTEXT.recipient, plaintextAllowed: true },
      { name: "body", context: OUTBOX_CONTEXT.body, plaintextAllowed: true },
      { name: "rich", context: OUTBOX_CONTEXT.rich, plaintextAllowed: true },
    ]);
  });

  it("delivers a personal message to its plaintext recipient with its plaintext body and html", async () => {
    const db = suite.db();
    const message = await enqueueMessage(db, personal());
    expect(await deliverMessage(db, message.id)).toEqual({ id: message.id, outcome: "sent", status: "sent" });

    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.to).toEqual([RECIPIENT]);
    expect(mail.subject).toBe("Order #1042 shipped");
    expect(mail.data).toContain(BODY);
    expect(mail.data).toContain(RICH);
    expect(mail.data).not.toContain("enc:v");

    // Still encrypted after the send.
    const row = await rawRow(db, message.id);
    expect(row).toMatchObject({ status: "sent", attempts: 1, last_error: null });
    expect(isEncrypted(row.recipient)).toBe(true);
  });

  it("delivers personal messages from the sweep too, after a key rotation added a newer key", async () => {
    const db = suite.db();
    vi.stubEnv("SMTP_URL", undefined);
    const kept = await enqueueMessage(db, personal({ subject: "Kept under v1" }));
    expect(kept.status).toBe("kept");
    vi.stubEnv("SMTP_URL", smtp.url());
    const pending = await enqueueMessage(db, personal({ subject: "Pending under v1" }));
    // Old tokens stay readable while their version is configured.
    vi.stubEnv("ENCRYPTION_KEYS", `1:${K1},2:${K2}`);
    const newer = await enqueueMessage(
      db,
      personal({ subject: "Pending under v2", recipient: "john.roe@client.example" }),
    );
    expect(keyVersionOf((await rawRow(db, newer.id)).recipient)).toBe(2);
    expect(await deliverPendingMessages(db, { limit: 10 })).toEqual({ sent: 2, retrying: 0, failed: 0, kept: 0 });
    expect(smtp.messages.map((m) => [m.subject, m.to[0]]).sort()).toEqual([
      ["Pending under v1", RECIPIENT],
      ["Pending under v2", "john.roe@client.example"],
    ]);
    expect((await rawRow(db, pending.id)).status).toBe("sent");
  });

  it("lists a personal message with its recipient decrypted and masked, never as a token", async () => {
    const db = suite.db();
    vi.stubEnv("SMTP_URL", undefined);
    await enqueueMessage(db, personal());
    await enqueueMessage(
      db,
      personal({ channel: "slack", recipient: "a customer without an address", subject: "Personal, no address" }),
    );
    await enqueueMessage(db, { channel: "email", recipient: "ops@studio.example", subject: "Alert", body: "text" });

    const { messages } = await listOutbox(db, { limit: 10 });
    expect(messages.map((m) => [m.subject, m.recipient])).toEqual([
      ["Alert", "o***@studio.example"],
      ["Personal, no address", "[hidden]"],
      ["Order #1042 shipped", "j***@client.example"],
    ]);
    const listed = JSON.stringify(messages);
    for (const secret of ["jane.doe", "enc:v", "Jane Doe", "a customer without an address"])
      expect(listed).not.toContain(secret);
  });

  it("keeps a personal recipient out of last_error and the log when the SMTP server quotes it", async () => {
    const db = suite.db();
    vi.stubEnv("LOG_LEVEL", "debug");
    smtp.failMailFrom = `550 5.1.1 <${RECIPIENT}>: mailbox unavailable`;
    const message = await enqueueMessage(db, personal());
    captureOutput(captured);
    expect(await deliverMessage(db, message.id)).toMatchObject({ outcome: "retrying", status: "pending" });
    vi.restoreAllMocks();

    const row = await rawRow(db, message.id);
    expect(row.attempts).toBe(1);
    expect(row.last_error).toContain("550 5.1.1 <j***@client.example>: mailbox unavailable");
    const log = captured.join("");
    expect(log).toContain("outbox message not delivered");
    expect(log).toContain("j***@client.example");
    for (const text of [row.last_error!, log]) expect(text).not.toContain("jane.doe");

    const { messages } = await listOutbox(db, { limit: 10 });
    expect(messages[0]!.lastError).toBe(row.last_error);
  });

  it("masks email addresses in the errors of other messages too", async () => {
    const db = suite.db();
    smtp.failMailFrom = "550 5.1.1 <ops.team@studio.example>: mailbox unavailable";
    const message = await enqueueMessage(db, {
      channel: "email",
      recipient: "ops.team@studio.example",
      subject: "Alert",
      body: "text",
    });
    await deliverMessage(db, message.id);
    expect((await rawRow(db, message.id)).last_error).toContain("<o***@studio.example>");
  });

  it("counts a token whose key was removed as a failed attempt, without sending or blocking the other messages", async () => {
    const db = suite.db();
    vi.stubEnv("SMTP_URL", undefined);
    const orphan = await enqueueMessage(db, personal({ subject: "Under a removed key" }));
    await db.execute(sql`update outbox set status = 'pending' where id = ${orphan.id}`);
    vi.stubEnv("SMTP_URL", smtp.url());
    vi.stubEnv("ENCRYPTION_KEYS", `2:${K2}`);
    const readable = await enqueueMessage(db, personal({ subject: "Under the current key" }));

    expect(await deliverPendingMessages(db, { limit: 10 })).toEqual({ sent: 1, retrying: 1, failed: 0, kept: 0 });
    expect(smtp.messages.map((m) => m.subject)).toEqual(["Under the current key"]);
    const row = await rawRow(db, orphan.id);
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    expect(row.last_error).toMatch(/key version 1 is not configured/);
    expect(row.last_error).not.toContain("enc:v");
    expect((await rawRow(db, readable.id)).status).toBe("sent");

    const listed = (await listOutbox(db, { limit: 10 })).messages.find((m) => m.id === orphan.id);
    expect(listed?.recipient).toBe("[unreadable]");
  });
});
