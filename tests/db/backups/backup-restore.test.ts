/**
 * The platform's backup, end to end on each database: the `platform_backup` workflow, driven by
 * ticks while other runs are in flight (and new ones start between its steps), writes encrypted
 * parts and a manifest to a local folder; the copy is verified; a restore into a fresh EMPTY
 * database checks every checksum and row count, and the restored platform serves the same runs
 * (its in-flight runs finish there), orders (decryptable) and sites. Also: a non-empty database,
 * a tampered part and the wrong key are refused, leaving the target empty.
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LocalFolderDestination } from "@/backups/destinations";
import { readTables } from "@/backups/catalog";
import { restoreKey } from "@/backups/config";
import { localReader, restoreBackup } from "@/backups/restore";
import { queryRows, type Db, type DbHandle } from "@/db/client";
import { syncWorkflowFiles } from "@/engine/registry";
import { getRun } from "@/engine/runs";
import { startRun } from "@/engine/start-run";
import { createOrder, createOrderInput } from "@/orders/manage";
import { getOrder } from "@/orders/orders";
import { lookupSitePath, publishSite } from "@/sites/store";
import { backupEnvForFile } from "../../helpers/backups";
import { createTestDb, describeDb } from "../../helpers/db";
import { register, runUntilDone, tickOnce } from "../../helpers/engine";

const KEY = randomBytes(32).toString("base64");
const ENV = backupEnvForFile({ BACKUP_KEY: KEY, BACKUP_CHUNK_ROWS: "7" }, (env) => {
  env.BACKUP_DIR = path.join(process.env.DATA_DIR!, "backups-test");
});

const SLOW = `
name: backup_probe
steps:
  - name: first
    emit: { topic: backup.probe, data: { n: "{{ input.n }}" } }
  - name: pause
    depends_on: first
    sleep: 300ms
  - name: fan
    depends_on: pause
    for_each: "{{ input.items }}"
    emit: { topic: backup.probe.item, data: { item: "{{ item }}" } }
  - name: last
    depends_on: fan
    emit: { topic: backup.probe.done, data: { n: "{{ input.n }}" } }
`;

/** Every row of a table as Postgres's JSON text, ordered by its key. */
async function contents(db: Db, table: string, key: string[]): Promise<string[]> {
  const order = key.length > 0 ? `order by ${key.map((c) => `"${c}"`).join(", ")}` : "";
  const rows = await queryRows<{ line: string }>(
    db,
    sql.raw(`select row_to_json(t)::text as line from "${table}" t ${order}`),
  );
  return rows.map((r) => r.line);
}

describeDb("platform backup and restore", (suite) => {
  const db = () => suite.db();
  let target: DbHandle;
  const before: string[] = [];
  const during: string[] = [];
  let backupId = "";
  let orderId = "";

  beforeAll(async () => {
    await syncWorkflowFiles(db());
    await register(db(), SLOW);
    target = await createTestDb(suite.target, { empty: true });
    const order = await createOrder(
      db(),
      createOrderInput.parse({
        name: "#B1",
        currency: "EUR",
        totalPrice: "25.00",
        lineItems: [{ sku: "MUG-1", title: "Mug", quantity: 2, price: "12.50" }],
        customer: { name: "Ada Lovelace", email: "ada.backup@example.com", phone: "+44 20 7946 0000" },
        shippingAddress: {
          name: "Ada Lovelace",
          address1: "12 St James's Square",
          city: "London",
          zip: "SW1Y 4JH",
          country_code: "GB",
        },
      }),
    );
    orderId = order.id;
    await publishSite(db(), {
      slug: "backup-site",
      files: [
        {
          path: "index.html",
          contentType: "text/html; charset=utf-8",
          content: "<!doctype html><title>Backed up</title>",
        },
        { path: "about/index.html", contentType: "text/html; charset=utf-8", content: "<p>about</p>" },
      ],
    });
    // Runs finished before the backup, and runs in flight when it starts.
    for (let n = 0; n < 3; n++)
      await runUntilDone(db(), (await startRun(db(), { workflow: "backup_probe", input: { n, items: [1, 2, 3] } })).id);
    for (let n = 3; n < 12; n++)
      before.push((await startRun(db(), { workflow: "backup_probe", input: { n, items: [1, 2, 3, 4] } })).id);
    await tickOnce(db());
  });
  afterAll(async () => {
    await target?.close();
  });

  it("takes a backup with the workflow while runs are in flight, and verifies it", async () => {
    const run = await startRun(db(), { workflow: "platform_backup", input: { trigger: "api", requestedBy: "test" } });
    backupId = run.id;
    // New work arrives while the backup's steps run.
    let done = false;
    const feeder = (async () => {
      for (let i = 0; !done && i < 60; i++) {
        during.push((await startRun(db(), { workflow: "backup_probe", input: { n: 100 + i, items: [i] } })).id);
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();
    try {
      for (let i = 0; i < 400; i++) {
        const state = await getRun(db(), backupId);
        if (["succeeded", "failed", "cancelled"].includes(state.status)) break;
        await tickOnce(db(), { batchSize: 4 });
      }
    } finally {
      done = true;
      await feeder;
    }
    const finished = await getRun(db(), backupId);
    expect(finished.status, JSON.stringify(finished.steps.filter((s) => s.error))).toBe("succeeded");
    const [row] = await queryRows<{ status: string; verification: string; rows: number; bytes: number; parts: number }>(
      db(),
      sql`select status, verification, rows, bytes, parts from backups where id = ${backupId}`,
    );
    expect(row).toMatchObject({ status: "succeeded", verification: "verified" });
    expect(Number(row!.rows)).toBeGreaterThan(50);
    // Chunks of 7 rows: the engine's tables came in several parts.
    const [parts] = await queryRows<{ n: number }>(
      db(),
      sql`select count(*)::int as n from backup_parts where backup_id = ${backupId} and table_name = 'steps'`,
    );
    expect(parts!.n).toBeGreaterThan(1);
    // Nothing personal in clear in the files (they are encrypted), and the manifest names the schema version.
    const folder = path.join(ENV.BACKUP_DIR!, backupId);
    const manifest = JSON.parse(await readFile(path.join(folder, "manifest.json"), "utf8"));
    expect(manifest.schemaVersion).toMatch(/^\d{4}_/);
    expect(manifest.tables.map((t: { name: string }) => t.name)).toEqual(
      expect.arrayContaining(["runs", "steps", "step_attempts", "orders", "sites", "site_files", "backups"]),
    );
    for (const table of manifest.tables)
      for (const part of table.parts) {
        const bytes = await readFile(path.join(folder, part.file));
        expect(bytes.includes(Buffer.from("Lovelace"))).toBe(false);
        expect(bytes.includes(Buffer.from("Backed up"))).toBe(false);
      }
  });

  it("refuses a non-empty database, a tampered part and the wrong key, leaving the target empty", async () => {
    const key = restoreKey(KEY);
    const reader = localReader(path.join(ENV.BACKUP_DIR!, backupId, "manifest.json"));
    await expect(restoreBackup(db(), reader, { key })).rejects.toThrow(/not empty/);
    await expect(
      restoreBackup(target.db, reader, { key: restoreKey(randomBytes(32).toString("base64")) }),
    ).rejects.toThrow(/another key/);
    const manifest = JSON.parse(await reader.get("manifest.json").then((b) => b.toString("utf8")));
    const part = manifest.tables.find((t: { name: string }) => t.name === "orders").parts[0].file;
    const file = path.join(ENV.BACKUP_DIR!, backupId, part);
    const original = await readFile(file);
    const altered = Buffer.from(original);
    altered[altered.length - 20]! ^= 1;
    await writeFile(file, altered);
    try {
      await expect(restoreBackup(target.db, reader, { key })).rejects.toThrow(/SHA-256/);
    } finally {
      await writeFile(file, original);
    }
    expect(await readTables(target.db)).toEqual([]);
  });

  it("restores into an empty database: every table as in the backup, the same runs, orders and sites", async () => {
    const reader = localReader(path.join(ENV.BACKUP_DIR!, backupId, "manifest.json"));
    const result = await restoreBackup(target.db, reader, { key: restoreKey(KEY) });
    const restored = target.db;
    expect(result.backupId).toBe(backupId);
    expect(result.rows).toBeGreaterThan(50);
    // Tables nothing wrote to while the backup ran are identical to the source.
    const tables = await readTables(db());
    for (const table of [
      "orders",
      "sites",
      "site_files",
      "site_slugs",
      "workflow_definitions",
      "api_keys",
      "alert_rules",
    ]) {
      const info = tables.find((t) => t.name === table)!;
      expect(await contents(restored, table, info.primaryKey), table).toEqual(
        await contents(db(), table, info.primaryKey),
      );
    }
    // Every run started before the backup is in the copy, with its steps as they were at one instant.
    const runIds = await queryRows<{ id: string }>(restored, sql`select id::text from runs`);
    const restoredRuns = new Set(runIds.map((r) => r.id));
    for (const id of before) expect(restoredRuns.has(id)).toBe(true);
    const [inFlight] = await queryRows<{ n: number }>(
      restored,
      sql`select count(*)::int as n from runs where workflow = 'backup_probe' and status not in ('succeeded', 'failed', 'cancelled')`,
    );
    expect(inFlight!.n).toBeGreaterThan(0);
    // The restored platform serves the runs: every run in flight at backup time finishes there.
    for (const id of [...before, ...during].filter((id) => restoredRuns.has(id))) {
      const run = await runUntilDone(restored, id, 20_000);
      expect(run.status, id).toBe("succeeded");
      expect(run.steps.find((s) => s.name === "fan")?.status).toBe("succeeded");
    }
    // The backup's own run resumes into an interrupted backup: it fails without writing a part.
    const [backupRow] = await queryRows<{ status: string }>(
      restored,
      sql`select status from backups where id = ${backupId}`,
    );
    expect(backupRow!.status).toBe("interrupted");
    // Orders decrypt, sites are served.
    const order = await getOrder(restored, orderId);
    expect(order.customer?.email).toBe("ada.backup@example.com");
    const page = await lookupSitePath(restored, { slug: "backup-site", path: "", trailingSlash: true });
    expect(page.kind === "file" && page.file.body).toContain("Backed up");
    // Sequences continue past the restored rows: a new run's steps get fresh ids.
    const fresh = await startRun(restored, { workflow: "backup_probe", input: { n: 999, items: [] } });
    expect((await runUntilDone(restored, fresh.id)).status).toBe("succeeded");
  });

  it("keeps the backup's files only under its folder", async () => {
    const destination = new LocalFolderDestination(ENV.BACKUP_DIR!);
    expect(await destination.list()).toContain(backupId);
  });
});
