/**
 * Site clients' personal data in the database (src/projects/site-clients.ts, src/projects/personal.ts):
 * projects stored in clear before encryption are sealed after the migrations (and their runs'
 * copies of the email masked), erasure by project id or by email (search hash, or the clear
 * email of a row not yet sealed) touches only that client, and key rotation covers the projects'
 * ciphertext and its email hash.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterEach, beforeAll, expect, it, vi } from "vitest";
import { queryRows } from "@/db/client";
import { projects } from "@/db/schema";
import { runAction } from "@/agents/dispatch";
import { startRun } from "@/engine/start-run";
import { OUTBOX_CONTEXT } from "@/notifications/personal";
import { enqueueMessage } from "@/notifications/outbox";
import { decryptField, keyVersionOf, searchHashVersionOf } from "@/privacy/crypto";
import { ENCRYPTED_COLUMNS } from "@/privacy/registry";
import { rotateKeys } from "@/privacy/rotate";
import { eraseSiteClient, sealLegacySiteOrders } from "@/projects/site-clients";
import { openOrderForm, sealOrderForm } from "@/projects/personal";
import { orderFormSchema } from "@/projects/schema";
import { describeDb } from "../../helpers/db";
import { register, runUntilDone, stepOf } from "../../helpers/engine";
import { personalDataFound } from "../../helpers/privacy";

/** A brief as projects stored it before encryption: `briefOf`'s old output, the order's email inside. */
const legacyBrief = (email: string) => ({
  businessName: "Atelier Ancien",
  industry: "bakery",
  audience: "voisins",
  tone: "friendly",
  pages: ["home", "contact"],
  contactEmail: email,
  language: "fr",
});
/** The old site_generation's first step, as legacy runs ran it: the brief in the run's input. */
const LEGACY_WORKFLOW = `
name: legacy_site_brief
steps:
  - name: brief
    agent: design-ia
    action: normalize_brief
    input: "{{ input.brief }}"
`;
const form = (email: string) => orderFormSchema.parse({ ...legacyBrief(email), contactEmail: email });

afterEach(() => {
  vi.unstubAllEnvs();
});

describeDb("site clients' personal data", (suite) => {
  const db = () => suite.db();
  beforeAll(async () => {
    await register(db(), LEGACY_WORKFLOW);
  });

  /** A legacy project (brief in clear) whose run passed the brief on, with the email sent to the client. */
  async function legacyProject(
    email: string,
    options: { run?: "done" | "queued" } = {},
  ): Promise<{ id: string; runId: string | null }> {
    let runId: string | null = null;
    if (options.run) {
      runId = (await startRun(db(), { workflow: "legacy_site_brief", input: { brief: legacyBrief(email) } })).id;
      if (options.run === "done") expect((await runUntilDone(db(), runId)).status).toBe("succeeded");
      await enqueueMessage(db(), {
        channel: "email",
        recipient: email,
        subject: "Your website is live",
        body: `Hello ${email}`,
        personal: true,
        dedupeKey: `${runId}:notify`,
      });
    }
    const [row] = await queryRows<{ id: string }>(
      db(),
      sql`insert into projects (token_hash, brief, payment_status, run_id) values ('x', ${JSON.stringify(legacyBrief(email))}::jsonb, 'test_mode', ${runId}) returning id`,
    );
    return { id: row!.id, runId };
  }

  async function stored(id: string) {
    const [row] = await db().select().from(projects).where(sql`id = ${id}`);
    return row!;
  }

  it("seals a project stored in clear: its form encrypted, its email's hash set, every copy of the email in its run masked", async () => {
    const email = "Legacy.Client@old-orders.example";
    const { id, runId } = await legacyProject(email, { run: "done" });
    expect((await personalDataFound(db(), [email])).sort()).toEqual([
      "projects: " + email,
      "runs: " + email,
      "steps: " + email,
    ]);

    expect(await sealLegacySiteOrders(db())).toBeGreaterThanOrEqual(1);
    expect(await personalDataFound(db(), [email])).toEqual([]);
    const row = await stored(id);
    expect(row.brief).toBeNull();
    expect(keyVersionOf(row.briefSealed!)).toBeGreaterThan(0);
    expect(openOrderForm(row)).toMatchObject({ businessName: "Atelier Ancien", contactEmail: email });
    const run = await runUntilDone(db(), runId!);
    expect((stepOf(run, "brief").output as { contactEmail: string }).contactEmail).toBe("l***@old-orders.example");
    expect(await sealLegacySiteOrders(db())).toBe(0); // nothing left: a second pass is a no-op

    // Found by email afterwards, through the hash the sealing computed.
    expect(await eraseSiteClient(db(), { email: email.toLowerCase() })).toEqual({
      projectIds: [id],
      alreadyErased: [],
      messages: 1,
    });
    expect(await stored(id)).toMatchObject({ brief: null, briefSealed: null, contactEmailHash: null });
  });

  it("leaves a project whose run is still in flight for a later pass, so the run ends with the data it started with", async () => {
    const email = "in.flight@old-orders.example";
    const { id, runId } = await legacyProject(email, { run: "queued" });
    await sealLegacySiteOrders(db());
    expect((await stored(id)).brief).not.toBeNull();
    expect((await runUntilDone(db(), runId!)).status).toBe("succeeded");
    await sealLegacySiteOrders(db());
    expect((await stored(id)).brief).toBeNull();
    expect(await personalDataFound(db(), [email])).toEqual([]);
  });

  it("erases by email a project not yet sealed (its email in clear), and only that client's", async () => {
    const legacy = await legacyProject("not.sealed@old-orders.example");
    const [other] = await db()
      .insert(projects)
      .values({ tokenHash: "y", ...sealOrderForm(form("someone.else@example.com")), paymentStatus: "test_mode" })
      .returning({ id: projects.id });
    expect(await eraseSiteClient(db(), { email: " NOT.SEALED@old-orders.example " })).toMatchObject({
      projectIds: [legacy.id],
    });
    expect(await stored(legacy.id)).toMatchObject({ brief: null, briefSealed: null });
    expect(openOrderForm(await stored(other!.id))?.contactEmail).toBe("someone.else@example.com");
    expect(await personalDataFound(db(), ["not.sealed@old-orders.example"])).toEqual([]);
  });

  it("erases by project id only that project, and erasing an unknown id or email finds nothing", async () => {
    const [a] = await db()
      .insert(projects)
      .values({ tokenHash: "a", ...sealOrderForm(form("twin@example.com")), paymentStatus: "test_mode" })
      .returning({ id: projects.id });
    const [b] = await db()
      .insert(projects)
      .values({ tokenHash: "b", ...sealOrderForm(form("twin@example.com")), paymentStatus: "test_mode" })
      .returning({ id: projects.id });
    expect(await eraseSiteClient(db(), { projectId: a!.id })).toEqual({
      projectIds: [a!.id],
      alreadyErased: [],
      messages: 0,
    });
    expect(openOrderForm(await stored(b!.id))?.contactEmail).toBe("twin@example.com");
    expect(await eraseSiteClient(db(), { projectId: "00000000-0000-4000-8000-000000000000" })).toEqual({
      projectIds: [],
      alreadyErased: [],
      messages: 0,
    });
    expect(await eraseSiteClient(db(), { email: "nobody@example.com" })).toEqual({
      projectIds: [],
      alreadyErased: [],
      messages: 0,
    });
    // By email: the client's project left. The erased one no longer matches: its hash is gone too,
    // so an erased client cannot even be confirmed by their email.
    expect(await eraseSiteClient(db(), { email: "twin@example.com" })).toEqual({
      projectIds: [b!.id],
      alreadyErased: [],
      messages: 0,
    });
  });

  it("notify_client and normalize_brief read a project's data by id, decrypted when they run, and refuse once it was erased", async () => {
    const email = "by.reference@example.com";
    const [row] = await db()
      .insert(projects)
      .values({ tokenHash: "n", ...sealOrderForm(form(email)), paymentStatus: "test_mode" })
      .returning({ id: projects.id });
    const ctx = (key: string) => ({
      db: db(),
      idempotencyKey: key,
      attempt: 1,
      taskId: null,
      signal: new AbortController().signal,
    });
    const brief = await runAction("design-ia", "normalize_brief", { projectId: row!.id }, ctx(`${randomUUID()}:brief`));
    // The brief the later steps see: the business's, without the private contact email.
    expect(brief).toMatchObject({
      status: "completed",
      output: { businessName: "Atelier Ancien", contactEmail: null },
    });
    const sent = await runAction(
      "core",
      "notify_client",
      { projectId: row!.id, subject: "Your website is live", text: "Hello" },
      ctx(`${randomUUID()}:notify`),
    );
    const messageId = (sent as { output: { messageId: string } }).output.messageId;
    const [message] = await queryRows<{ recipient: string }>(
      db(),
      sql`select recipient from outbox where id = ${messageId}`,
    );
    expect(decryptField(message!.recipient, OUTBOX_CONTEXT.recipient)).toBe(email);
    // Exactly one of `to` and `projectId`.
    await expect(
      runAction("core", "notify_client", { to: email, projectId: row!.id, subject: "s", text: "t" }, ctx("x:notify")),
    ).rejects.toMatchObject({ code: "validation_failed" });

    await eraseSiteClient(db(), { projectId: row!.id });
    await expect(
      runAction(
        "core",
        "notify_client",
        { projectId: row!.id, subject: "s", text: "t" },
        ctx(`${randomUUID()}:notify`),
      ),
    ).rejects.toMatchObject({ code: "unprocessable" });
    await expect(
      runAction("design-ia", "normalize_brief", { projectId: row!.id }, ctx(`${randomUUID()}:brief`)),
    ).rejects.toMatchObject({ code: "unprocessable" });
  });

  it("rotates a project's encrypted form and its email hash to the new key, and still finds it by email", async () => {
    const k1 = randomBytes(32).toString("base64");
    vi.stubEnv("ENCRYPTION_KEYS", `1:${k1}`);
    const [row] = await db()
      .insert(projects)
      .values({ tokenHash: "r", ...sealOrderForm(form("rotated@example.com")), paymentStatus: "test_mode" })
      .returning({ id: projects.id });
    vi.stubEnv("ENCRYPTION_KEYS", `1:${k1},2:${randomBytes(32).toString("base64")}`);
    const spec = ENCRYPTED_COLUMNS.filter((s) => s.table === "projects");
    expect(spec).toHaveLength(1);
    await rotateKeys(db(), spec);
    const after = await stored(row!.id);
    expect(keyVersionOf(after.briefSealed!)).toBe(2);
    expect(searchHashVersionOf(after.contactEmailHash!)).toBe(2);
    expect(openOrderForm(after)?.contactEmail).toBe("rotated@example.com");
    expect((await eraseSiteClient(db(), { email: "rotated@example.com" })).projectIds).toEqual([row!.id]);
  });
});
