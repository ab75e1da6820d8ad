/**
 * rotateKeys on tables created by the test: every old token and search hash moves to the
 * current version in small batches, values stay readable, rows already current are left alone,
 * unreadable values are reported (by id, never by value) without stopping the rest, and a row
 * the application holds locked neither blocks the run nor is silently lost.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "drizzle-orm";
import { afterEach, beforeAll, expect, it, vi } from "vitest";
import { queryRows, type Db } from "@/db/client";
import { createSubscription } from "@/events/subscriptions";
import { enqueueMessage, OUTBOX_CONTEXT } from "@/notifications/outbox";
import {
  decryptField,
  encryptField,
  isEncrypted,
  keyVersionOf,
  searchHash,
  searchHashes,
  searchHashVersionOf,
} from "@/privacy/crypto";
import { ENCRYPTED_COLUMNS } from "@/privacy/registry";
import { rotateKeys, type EncryptedColumnSpec, type RotationProgress } from "@/privacy/rotate";
import { describeDb } from "../../helpers/db";

const K1 = randomBytes(32).toString("base64");
const K2 = randomBytes(32).toString("base64");
const KEYS_V1 = `1:${K1}`;
const KEYS_V1_V2 = `1:${K1},2:${K2}`;

const CUSTOMERS: EncryptedColumnSpec = {
  table: "rot_customers",
  idColumn: "id",
  columns: [
    { name: "email", context: "rot_customers.email" },
    { name: "phone", context: "rot_customers.phone" },
  ],
  hashColumns: [
    { name: "email_hash", source: "email", kind: "email" },
    { name: "phone_hash", source: "phone", kind: "phone" },
  ],
};
const NOTES: EncryptedColumnSpec = {
  table: "public.rot_notes",
  idColumn: "ref",
  columns: [{ name: "body", context: "rot_notes.body" }],
};

interface CustomerRow {
  id: string;
  email: string | null;
  phone: string | null;
  email_hash: string | null;
  phone_hash: string | null;
  plain: string | null;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

const emailOf = (i: number) => `Customer.${i}@Example.com`;
const phoneOf = (i: number) => `+33 6 ${String(i).padStart(8, "0")}`;

async function customers(db: Db): Promise<CustomerRow[]> {
  return queryRows<CustomerRow>(
    db,
    sql`select id::text as id, email, phone, email_hash, phone_hash, plain from rot_customers order by rot_customers.id`,
  );
}

describeDb("rotateKeys", (suite) => {
  beforeAll(async () => {
    vi.stubEnv("ENCRYPTION_KEYS", KEYS_V1);
    const db = suite.db();
    // `plain` keeps the expected email next to each row, only for the test's assertions.
    await db.execute(
      sql`create table rot_customers (id bigserial primary key, email text, phone text, email_hash text, phone_hash text, plain text)`,
    );
    await db.execute(sql`create table rot_notes (ref text primary key, body text)`);
    for (let i = 1; i <= 230; i++) {
      const email = i % 10 === 0 ? null : emailOf(i);
      const phone = i % 3 === 0 ? null : phoneOf(i);
      await db.execute(
        sql`insert into rot_customers (email, phone, email_hash, phone_hash, plain) values (
          ${email && encryptField(email, "rot_customers.email")}, ${phone && encryptField(phone, "rot_customers.phone")},
          ${email && searchHash(email, "email")}, ${phone && searchHash(phone, "phone")}, ${email})`,
      );
    }
    for (let i = 0; i < 30; i++) {
      await db.execute(
        sql`insert into rot_notes (ref, body) values (${`note-${String(i).padStart(3, "0")}`}, ${encryptField(`note ${i}`, "rot_notes.body")})`,
      );
    }
    vi.unstubAllEnvs();
  });

  it("the registry's specs are valid and name existing text columns (empty until the orders tables register)", async () => {
    await expect(rotateKeys(suite.db(), ENCRYPTED_COLUMNS, { batchSize: 1 })).resolves.toHaveLength(
      ENCRYPTED_COLUMNS.length,
    );
    for (const spec of ENCRYPTED_COLUMNS) {
      const names = [...spec.columns.map((c) => c.name), ...(spec.hashColumns ?? []).map((h) => h.name)];
      const found = await queryRows<{ column_name: string; data_type: string }>(
        suite.db(),
        sql`select column_name, data_type from information_schema.columns where table_name = ${spec.table.split(".").at(-1)}`,
      );
      for (const name of names) expect(found.find((c) => c.column_name === name)?.data_type).toBe("text");
    }
  });

  it("does nothing while the current version is the only one", async () => {
    vi.stubEnv("ENCRYPTION_KEYS", KEYS_V1);
    const before = await customers(suite.db());
    const results = await rotateKeys(suite.db(), [CUSTOMERS, NOTES], { batchSize: 40 });
    expect(results.map((r) => [r.table, r.rows, r.failed, r.skipped, r.remaining])).toEqual([
      ["rot_customers", 0, 0, 0, 0],
      ["public.rot_notes", 0, 0, 0, 0],
    ]);
    expect(await customers(suite.db())).toEqual(before);
  });

  it("moves every token and hash to the new version in batches, keeping values, lookups and current rows intact", async () => {
    vi.stubEnv("ENCRYPTION_KEYS", KEYS_V1_V2);
    const db = suite.db();
    // A row written by the application after the new key was deployed: already current.
    await db.execute(
      sql`insert into rot_customers (email, phone, email_hash, phone_hash, plain) values (
        ${encryptField("fresh@example.com", "rot_customers.email")}, null, ${searchHash("fresh@example.com", "email")}, null, ${"fresh@example.com"})`,
    );
    const before = await customers(db);
    const fresh = before.find((r) => r.plain === "fresh@example.com")!;
    // Before the rotation, lookups already find old rows through the per-version hashes.
    const target = before.find((r) => r.plain === emailOf(7))!;
    const lookup = await queryRows<{ id: string }>(
      db,
      sql`select id::text as id from rot_customers where email_hash in (${sql.join(
        searchHashes(emailOf(7).toUpperCase(), "email").map((h) => sql`${h}`),
        sql`, `,
      )})`,
    );
    expect(lookup.map((r) => r.id)).toEqual([target.id]);

    const progress: RotationProgress[] = [];
    const results = await rotateKeys(db, [CUSTOMERS, NOTES], { batchSize: 40, onProgress: (p) => progress.push(p) });

    // The 223 old rows with an email or a phone (ids 30, 60, ... 210 have neither), not the
    // fresh one; the 30 notes.
    expect(results).toEqual([
      { table: "rot_customers", rows: 223, failed: 0, failures: [], skipped: 0, remaining: 0 },
      { table: "public.rot_notes", rows: 30, failed: 0, failures: [], skipped: 0, remaining: 0 },
    ]);
    const customerProgress = progress.filter((p) => p.table === "rot_customers");
    expect(customerProgress.map((p) => p.updated)).toEqual([40, 80, 120, 160, 200, 223]);
    expect(customerProgress.map((p) => p.examined)).toEqual([40, 80, 120, 160, 200, 223]);

    const after = await customers(db);
    expect(after.find((r) => r.id === fresh.id)).toEqual(fresh);
    for (const row of after) {
      const i = before.findIndex((r) => r.id === row.id);
      const expectedPhone = row.plain === "fresh@example.com" ? null : i % 3 === 2 ? null : phoneOf(i + 1);
      expect(row.email === null ? null : keyVersionOf(row.email)).toBe(row.plain === null ? null : 2);
      expect(row.email === null ? null : decryptField(row.email, "rot_customers.email")).toBe(row.plain);
      expect(row.email_hash).toBe(row.plain === null ? null : searchHash(row.plain, "email"));
      expect(row.phone === null ? null : decryptField(row.phone, "rot_customers.phone")).toBe(expectedPhone);
      expect(row.phone === null ? null : keyVersionOf(row.phone)).toBe(expectedPhone === null ? null : 2);
      expect(row.phone_hash === null ? null : searchHashVersionOf(row.phone_hash)).toBe(
        expectedPhone === null ? null : 2,
      );
    }
    const notes = await queryRows<{ body: string }>(db, sql`select body from rot_notes order by ref`);
    expect(notes.map((n) => keyVersionOf(n.body))).toEqual(Array(30).fill(2));
    expect(notes.map((n) => decryptField(n.body, "rot_notes.body"))).toEqual(
      Array.from({ length: 30 }, (_, i) => `note ${i}`),
    );

    // Nothing needs version 1 any more, and the same lookup still finds the same row.
    vi.stubEnv("ENCRYPTION_KEYS", `2:${K2}`);
    const rows = await customers(db);
    for (const row of rows) if (row.email) expect(decryptField(row.email, "rot_customers.email")).toBe(row.plain);
    const again = rows.filter((r) => searchHashes(emailOf(7), "email").includes(r.email_hash ?? ""));
    expect(again.map((r) => r.id)).toEqual([target.id]);

    // A second run finds nothing to do.
    vi.stubEnv("ENCRYPTION_KEYS", KEYS_V1_V2);
    const second = await rotateKeys(db, [CUSTOMERS, NOTES], { batchSize: 40 });
    expect(second.map((r) => r.rows)).toEqual([0, 0]);
    expect(await customers(db)).toEqual(rows);
  });

  it("reports unreadable values by id and column, leaves them as they are, and still rotates the rest of their row", async () => {
    vi.stubEnv("ENCRYPTION_KEYS", KEYS_V1);
    const db = suite.db();
    await db.execute(sql`create table rot_broken (id int primary key, email text, phone text, email_hash text)`);
    const phoneToken = encryptField("+33 6 11 11 11 11", "rot_broken.phone");
    const spec: EncryptedColumnSpec = {
      table: "rot_broken",
      idColumn: "id",
      columns: [
        { name: "email", context: "rot_broken.email" },
        { name: "phone", context: "rot_broken.phone" },
      ],
      hashColumns: [{ name: "email_hash", source: "email", kind: "email" }],
    };
    await db.execute(sql`insert into rot_broken (id, email, phone, email_hash) values
      (1, ${"leaked@example.com"}, ${encryptField("+33 6 00 00 00 01", "rot_broken.phone")}, null),
      (2, ${phoneToken}, ${encryptField("+33 6 00 00 00 02", "rot_broken.phone")}, ${searchHash("x@example.com", "email")}),
      (3, ${encryptField("ok@example.com", "rot_broken.email")}, null, null),
      (4, null, null, ${searchHash("erased@example.com", "email")})`);

    vi.stubEnv("ENCRYPTION_KEYS", KEYS_V1_V2);
    const [result] = await rotateKeys(db, [spec]);
    expect(result).toMatchObject({ table: "rot_broken", rows: 4, failed: 2, skipped: 0, remaining: 2 });
    expect(result!.failures).toEqual([
      { id: "1", column: "email", reason: "malformed" },
      { id: "2", column: "email", reason: "authentication_failed" },
    ]);
    expect(JSON.stringify(result)).not.toContain("leaked@example.com");

    const rows = await queryRows<{ id: number; email: string | null; phone: string | null; email_hash: string | null }>(
      db,
      sql`select id, email, phone, email_hash from rot_broken order by id`,
    );
    // The unreadable emails (and the hash that depends on one) are untouched; phones moved on.
    expect(rows[0]!.email).toBe("leaked@example.com");
    expect(rows[0]!.email_hash).toBeNull();
    expect(rows[1]!.email).toBe(phoneToken);
    expect(searchHashVersionOf(rows[1]!.email_hash!)).toBe(1);
    expect(keyVersionOf(rows[0]!.phone!)).toBe(2);
    expect(decryptField(rows[1]!.phone!, "rot_broken.phone")).toBe("+33 6 00 00 00 02");
    // A missing hash is filled in; the hash of an erased value is erased.
    expect(rows[2]!.email_hash).toBe(searchHash("ok@example.com", "email"));
    expect(rows[3]!.email_hash).toBeNull();
  });

  it("refuses a spec that could rotate the wrong thing, before touching the database", async () => {
    const bad: EncryptedColumnSpec[] = [
      { table: "rot_customers; drop table rot_notes", idColumn: "id", columns: [{ name: "email", context: "a" }] },
      { table: "rot_customers", idColumn: "id", columns: [] },
      {
        table: "rot_customers",
        idColumn: "id",
        columns: [
          { name: "email", context: "same" },
          { name: "phone", context: "same" },
        ],
      },
      {
        table: "rot_customers",
        idColumn: "id",
        columns: [{ name: "email", context: "a" }],
        hashColumns: [{ name: "email_hash", source: "phone", kind: "email" }],
      },
      { table: "rot_customers", idColumn: "email", columns: [{ name: "email", context: "a" }] },
      { table: "rot_customers", idColumn: "id", columns: [{ name: "email", context: " " }] },
      {
        table: "rot_customers",
        idColumn: "id",
        columns: [{ name: "email", context: "a", plaintextAllowed: true }],
        hashColumns: [{ name: "email_hash", source: "email", kind: "email" }],
      },
    ];
    for (const spec of bad) await expect(rotateKeys(suite.db(), [spec])).rejects.toThrow(/EncryptedColumnSpec/);
    await expect(rotateKeys(suite.db(), [CUSTOMERS, CUSTOMERS])).rejects.toThrow(/listed twice/);
    await expect(rotateKeys(suite.db(), [CUSTOMERS], { batchSize: 0 })).rejects.toThrow(RangeError);
    expect(await queryRows(suite.db(), sql`select 1 from rot_notes limit 1`)).toHaveLength(1);
  });

  it("rotates the tokens of a plaintextAllowed column, leaves its plaintext alone without failures, and still reports a broken token", async () => {
    vi.stubEnv("ENCRYPTION_KEYS", KEYS_V1);
    const db = suite.db();
    await db.execute(sql`create table rot_mixed (id int primary key, note text)`);
    const spec: EncryptedColumnSpec = {
      table: "rot_mixed",
      idColumn: "id",
      columns: [{ name: "note", context: "rot_mixed.note", plaintextAllowed: true }],
    };
    await db.execute(sql`insert into rot_mixed (id, note) values
      (1, ${encryptField("secret one", "rot_mixed.note")}), (2, ${"plain alert text"}), (3, null),
      (4, ${"enc:v1:not-a-token"}), (5, ${"enc:"})`);

    vi.stubEnv("ENCRYPTION_KEYS", KEYS_V1_V2);
    const [result] = await rotateKeys(db, [spec], { batchSize: 1 });
    expect(result).toEqual({
      table: "rot_mixed",
      rows: 1,
      failed: 1,
      failures: [{ id: "4", column: "note", reason: "malformed" }],
      skipped: 0,
      remaining: 1,
    });
    const rows = await queryRows<{ note: string | null }>(db, sql`select note from rot_mixed order by id`);
    expect(keyVersionOf(rows[0]!.note!)).toBe(2);
    expect(decryptField(rows[0]!.note!, "rot_mixed.note")).toBe("secret one");
    expect(rows.slice(1).map((r) => r.note)).toEqual(["plain alert text", null, "enc:v1:not-a-token", "enc:"]);
  });

  it("rotates personal outbox messages to the newest key and leaves plaintext outbox messages alone, without failures", async () => {
    vi.stubEnv("ENCRYPTION_KEYS", KEYS_V1);
    vi.stubEnv("SMTP_URL", undefined);
    vi.stubEnv("SLACK_WEBHOOK_URL", undefined);
    const db = suite.db();
    const outboxSpec = ENCRYPTED_COLUMNS.find((s) => s.table === "outbox")!;
    const personal = await enqueueMessage(db, {
      channel: "email",
      recipient: "jane.doe@client.example",
      subject: "Order #1042 shipped",
      body: "Hello Jane Doe",
      rich: "<p>Hello Jane Doe</p>",
      personal: true,
    });
    const personalNoRich = await enqueueMessage(db, {
      channel: "email",
      recipient: "john.roe@client.example",
      subject: "Order #1043",
      body: "Hello John",
      personal: true,
    });
    const alert = await enqueueMessage(db, {
      channel: "slack",
      recipient: "slack",
      subject: "Deploy done",
      body: "All green",
      rich: '[{"type":"divider"}]',
    });
    type Raw = { id: string; recipient: string; body: string; rich: string | null };
    const raw = async () =>
      queryRows<Raw>(db, sql`select id::text as id, recipient, body, rich from outbox order by id`);
    const byId = (rows: Raw[], id: string) => rows.find((r) => r.id === id)!;
    const before = await raw();

    vi.stubEnv("ENCRYPTION_KEYS", KEYS_V1_V2);
    const [result] = await rotateKeys(db, [outboxSpec]);
    expect(result).toEqual({ table: "outbox", rows: 2, failed: 0, failures: [], skipped: 0, remaining: 0 });

    const after = await raw();
    const rotated = byId(after, personal.id);
    for (const value of [rotated.recipient, rotated.body, rotated.rich!]) expect(keyVersionOf(value)).toBe(2);
    expect(decryptField(rotated.recipient, OUTBOX_CONTEXT.recipient)).toBe("jane.doe@client.example");
    expect(decryptField(rotated.body, OUTBOX_CONTEXT.body)).toBe("Hello Jane Doe");
    expect(decryptField(rotated.rich!, OUTBOX_CONTEXT.rich)).toBe("<p>Hello Jane Doe</p>");
    const noRich = byId(after, personalNoRich.id);
    expect([keyVersionOf(noRich.recipient), keyVersionOf(noRich.body), noRich.rich]).toEqual([2, 2, null]);
    expect(byId(after, alert.id)).toEqual(byId(before, alert.id));
    expect(isEncrypted(byId(after, alert.id).body)).toBe(false);

    // Nothing left for a second run; the old key can go.
    expect((await rotateKeys(db, [outboxSpec]))[0]).toMatchObject({ rows: 0, failed: 0, remaining: 0 });
    vi.stubEnv("ENCRYPTION_KEYS", `2:${K2}`);
    expect(decryptField(byId(await raw(), personal.id).recipient, OUTBOX_CONTEXT.recipient)).toBe(
      "jane.doe@client.example",
    );
  });

  it("rotates event subscription secrets, which the registry lists", async () => {
    vi.stubEnv("ENCRYPTION_KEYS", KEYS_V1);
    const db = suite.db();
    const spec = ENCRYPTED_COLUMNS.find((s) => s.table === "event_subscriptions");
    expect(spec).toEqual({
      table: "event_subscriptions",
      idColumn: "id",
      columns: [{ name: "secret", context: "event_subscriptions.secret" }],
    });
    const secrets = ["whsec_rotation_test_secret_one", "whsec_rotation_test_secret_two"];
    const ids: string[] = [];
    for (const secret of secrets)
      ids.push(
        (await createSubscription(db, { topic: "order.*", url: "https://hooks.example.com/in", secret })).subscription
          .id,
      );
    const stored = async () =>
      Promise.all(
        ids.map(
          async (id) =>
            (await queryRows<{ secret: string }>(db, sql`select secret from event_subscriptions where id = ${id}`))[0]!
              .secret,
        ),
      );
    expect((await stored()).map(keyVersionOf)).toEqual([1, 1]);

    vi.stubEnv("ENCRYPTION_KEYS", KEYS_V1_V2);
    const [result] = await rotateKeys(db, [spec!]);
    expect(result).toMatchObject({ table: "event_subscriptions", rows: 2, failed: 0, skipped: 0, remaining: 0 });
    vi.stubEnv("ENCRYPTION_KEYS", `2:${K2}`);
    const after = await stored();
    expect(after.map(keyVersionOf)).toEqual([2, 2]);
    expect(after.map((t) => decryptField(t, "event_subscriptions.secret"))).toEqual(secrets);
  });

  it.skipIf(suite.target === "pglite")(
    "skips a row the application holds locked without waiting for it, and reports it",
    async () => {
      vi.stubEnv("ENCRYPTION_KEYS", KEYS_V1);
      const db = suite.db();
      await db.execute(sql`create table rot_locked (id int primary key, email text)`);
      for (let i = 1; i <= 5; i++)
        await db.execute(
          sql`insert into rot_locked values (${i}, ${encryptField(`l${i}@example.com`, "rot_locked.email")})`,
        );
      const spec: EncryptedColumnSpec = {
        table: "rot_locked",
        idColumn: "id",
        columns: [{ name: "email", context: "rot_locked.email" }],
      };
      vi.stubEnv("ENCRYPTION_KEYS", KEYS_V1_V2);

      const started = Date.now();
      const result = await db.transaction(async (tx) => {
        await tx.execute(sql`select 1 from rot_locked where id = 3 for update`);
        // Run on the pool's other connections while this transaction holds row 3.
        return rotateKeys(db, [spec], { batchSize: 2, lockRetries: 1, lockRetryDelayMs: 50 });
      });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(result[0]).toMatchObject({ rows: 4, skipped: 1, remaining: 1, failed: 0 });
      const rows = await queryRows<{ id: number; email: string }>(
        db,
        sql`select id, email from rot_locked order by id`,
      );
      expect(rows.map((r) => keyVersionOf(r.email))).toEqual([2, 2, 1, 2, 2]);
    },
  );

  it.skipIf(suite.target === "pglite")(
    "retries a locked row once the lock is released, so it is not left behind",
    async () => {
      vi.stubEnv("ENCRYPTION_KEYS", KEYS_V1);
      const db = suite.db();
      await db.execute(sql`create table rot_relocked (id int primary key, email text)`);
      for (let i = 1; i <= 3; i++)
        await db.execute(
          sql`insert into rot_relocked values (${i}, ${encryptField(`r${i}@example.com`, "rot_relocked.email")})`,
        );
      const spec: EncryptedColumnSpec = {
        table: "rot_relocked",
        idColumn: "id",
        columns: [{ name: "email", context: "rot_relocked.email" }],
      };
      vi.stubEnv("ENCRYPTION_KEYS", KEYS_V1_V2);

      let rotation: ReturnType<typeof rotateKeys> | undefined;
      await db.transaction(async (tx) => {
        await tx.execute(sql`select 1 from rot_relocked where id = 2 for update`);
        rotation = rotateKeys(db, [spec], { lockRetries: 4, lockRetryDelayMs: 100 });
        await sleep(250); // the walk finishes and the first retries find row 2 still locked
      });
      const [result] = await rotation!;
      expect(result).toMatchObject({ rows: 3, skipped: 0, remaining: 0 });
      const rows = await queryRows<{ email: string }>(db, sql`select email from rot_relocked order by id`);
      expect(rows.map((r) => decryptField(r.email, "rot_relocked.email"))).toEqual([
        "r1@example.com",
        "r2@example.com",
        "r3@example.com",
      ]);
      expect(rows.map((r) => keyVersionOf(r.email))).toEqual([2, 2, 2]);
    },
  );
});
