/**
 * A private Vercel Blob store as a backup destination, through the real @vercel/blob SDK against a
 * loopback fake of the Blob API (tests/helpers/fake-blob.ts): one backup goes to the folder and the
 * store, every object written private with the token, both copies read back and verified (a
 * tampered object in the store fails verification), the store's copy restores into an empty
 * database, and the store's own retention (BACKUP_BLOB_KEEP_COUNT) deletes its older copy while the
 * folder keeps it.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { verifyCopy } from "@/backups/backup";
import { configuredBlob, parseBlobAddress } from "@/backups/blob";
import { restoreKey } from "@/backups/config";
import { destinationReader, restoreBackup } from "@/backups/restore";
import { queryRows, type DbHandle } from "@/db/client";
import { syncWorkflowFiles } from "@/engine/registry";
import { createTestDb, describeDb } from "../helpers/db";
import { backupEnvForFile, backupNow } from "../helpers/backups";
import { routeBlobStoreToFake, startFakeBlobStore, type FakeBlobStore } from "../helpers/fake-blob";

/** A backup or a restore through the engine: seconds, more on a loaded machine. */
const SLOW = 120_000;

const STORE_ID = "backupstore";
const TOKEN = `vercel_blob_rw_${STORE_ID}_${randomBytes(12).toString("hex")}`;
const KEY = randomBytes(32).toString("base64");
let store: FakeBlobStore;
let unroute: () => void;
const ENV = backupEnvForFile(
  {
    BACKUP_KEY: KEY,
    BACKUP_BLOB_READ_WRITE_TOKEN: TOKEN,
    BACKUP_BLOB_KEEP_COUNT: "1",
    BACKUP_KEEP_COUNT: "5",
    // The SDK retries a failed request up to 10 times with backoff: the fake answers at once.
    VERCEL_BLOB_RETRIES: "0",
  },
  async (env) => {
    store = await startFakeBlobStore(STORE_ID, TOKEN);
    unroute = routeBlobStoreToFake(store);
    env.VERCEL_BLOB_API_URL = store.base;
    env.BACKUP_DIR = path.join(process.env.DATA_DIR!, "blob-test-backups");
  },
);
afterAll(async () => {
  unroute?.();
  await store?.close();
});

describeDb("backups to a Vercel Blob store", (suite) => {
  const db = () => suite.db();
  let target: DbHandle;
  const ids: string[] = [];
  // One fake store for both databases' suites: each writes under its own prefix.
  const prefix = `backups/${suite.target}`;
  beforeAll(async () => {
    process.env.BACKUP_BLOB_PREFIX = prefix;
    await syncWorkflowFiles(db());
    target = await createTestDb(suite.target, { empty: true });
  });
  afterAll(async () => {
    await target?.close();
  });

  const objectsOf = (backupId: string) =>
    [...store.objects.keys()].filter((p) => p.startsWith(`${prefix}/${backupId}/`));

  it(
    "writes one backup to the folder and the store, private, and verifies both copies",
    async () => {
      store.requests = [];
      ids.push(await backupNow(db()));
      const [row] = await queryRows<{
        verification: string;
        parts: number;
        destinations: { name: string; kind: string; location: string }[];
      }>(db(), sql`select verification, parts, destinations from backups where id = ${ids[0]!}`);
      expect(row!.verification).toBe("verified");
      expect(row!.destinations.map((d) => [d.name, d.kind])).toEqual([
        ["local", "local"],
        ["blob", "blob"],
      ]);
      expect(row!.destinations[1]!.location).toBe(`blob://${STORE_ID}/${prefix}`);
      expect(JSON.stringify(row!.destinations)).not.toContain(TOKEN);

      // Every part and the manifest, each written private with the token…
      const names = objectsOf(ids[0]!);
      expect(names).toContain(`${prefix}/${ids[0]}/manifest.json`);
      expect(names).toHaveLength(row!.parts + 1);
      for (const name of names) expect(store.objects.get(name)!.access).toBe("private");
      const puts = store.requests.filter((r) => r.method === "PUT");
      expect(puts.length).toBeGreaterThanOrEqual(names.length);
      expect(puts.every((r) => r.authorized && r.access === "private")).toBe(true);
      // …and read back from the store (the verification), with the token.
      const reads = store.requests.filter((r) => r.what.startsWith(`content:${prefix}/${ids[0]}/`));
      expect(new Set(reads.map((r) => r.what)).size).toBe(names.length);
      expect(reads.every((r) => r.authorized)).toBe(true);
      expect(await configuredBlob()!.list()).toEqual([ids[0]]);
    },
    SLOW,
  );

  it("a part changed in the store fails verification", async () => {
    const blob = configuredBlob()!;
    await expect(verifyCopy(blob, ids[0]!)).resolves.toMatchObject({ rows: expect.any(Number) });
    const part = objectsOf(ids[0]!).find((p) => !p.endsWith("manifest.json"))!;
    const original = store.objects.get(part)!;
    const tampered = Buffer.from(original.data);
    tampered[tampered.length - 1]! ^= 1;
    store.objects.set(part, { ...original, data: tampered });
    try {
      await expect(verifyCopy(blob, ids[0]!)).rejects.toThrow(/SHA-256/);
    } finally {
      store.objects.set(part, original);
    }
  });

  it(
    "restores the store's copy into an empty database",
    async () => {
      const { destination, backupId } = parseBlobAddress(`blob://${STORE_ID}/${prefix}/${ids[0]!}/manifest.json`);
      expect(backupId).toBe(ids[0]);
      const result = await restoreBackup(target.db, destinationReader(destination, backupId), { key: restoreKey(KEY) });
      expect(result.backupId).toBe(ids[0]);
      for (const table of ["workflow_definitions", "runs", "alert_rules"]) {
        const [restored] = await queryRows<{ n: number }>(
          target.db,
          sql`select count(*)::int as n from ${sql.identifier(table)}`,
        );
        const [source] = await queryRows<{ n: number }>(
          db(),
          sql`select count(*)::int as n from ${sql.identifier(table)}`,
        );
        expect(restored!.n, table).toBe(source!.n);
      }
    },
    SLOW,
  );

  it(
    "applies the store's own retention: its older copy is deleted, the folder keeps both",
    async () => {
      ids.push(await backupNow(db()));
      expect(await configuredBlob()!.list()).toEqual([ids[1]]);
      expect(objectsOf(ids[0]!)).toEqual([]);
      expect(objectsOf(ids[1]!).length).toBeGreaterThan(1);
      for (const id of ids) expect(existsSync(path.join(ENV.BACKUP_DIR!, id, "manifest.json"))).toBe(true);
      const [row] = await queryRows<{ destinations: { name: string; prunedAt?: string }[] }>(
        db(),
        sql`select destinations from backups where id = ${ids[0]!}`,
      );
      expect(row!.destinations.find((d) => d.name === "blob")?.prunedAt).toBeTruthy();
      expect(row!.destinations.find((d) => d.name === "local")?.prunedAt).toBeFalsy();
    },
    SLOW,
  );
});
