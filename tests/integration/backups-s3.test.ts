/**
 * An S3-compatible bucket as a second destination, through the official AWS SDK against s3rver on
 * loopback: one backup goes to the folder and the bucket (an off-site copy), both copies are read
 * back and verified, the bucket's copy restores into an empty database, and the bucket's own
 * retention (BACKUP_S3_KEEP_COUNT) prunes it independently of the folder's.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import S3rver from "s3rver";
import { afterAll, beforeAll, expect, it } from "vitest";
import { restoreKey } from "@/backups/config";
import { destinationReader, restoreBackup } from "@/backups/restore";
import { configuredS3, parseS3Address } from "@/backups/s3";
import { queryRows, type DbHandle } from "@/db/client";
import { syncWorkflowFiles } from "@/engine/registry";
import { createTestDb, describeDb } from "../helpers/db";
import { backupEnvForFile, backupNow } from "../helpers/backups";

const KEY = randomBytes(32).toString("base64");
let server: S3rver;
const ENV = backupEnvForFile(
  {
    BACKUP_KEY: KEY,
    BACKUP_S3_BUCKET: "orchestrator-backups",
    BACKUP_S3_PREFIX: "platform/main",
    BACKUP_S3_REGION: "us-east-1",
    BACKUP_S3_FORCE_PATH_STYLE: "1",
    BACKUP_S3_ACCESS_KEY_ID: "S3RVER",
    BACKUP_S3_SECRET_ACCESS_KEY: "S3RVER",
    BACKUP_S3_KEEP_COUNT: "1",
    BACKUP_KEEP_COUNT: "5",
  },
  async (env) => {
    server = new S3rver({
      address: "127.0.0.1",
      port: 0,
      silent: true,
      directory: mkdtempSync(path.join(os.tmpdir(), "s3rver-")),
      configureBuckets: [{ name: "orchestrator-backups", configs: [] }],
    });
    const { port } = (await server.run()) as { port: number };
    env.BACKUP_S3_ENDPOINT = `http://127.0.0.1:${port}`;
    env.BACKUP_DIR = path.join(process.env.DATA_DIR!, "s3-test-backups");
  },
);
afterAll(async () => {
  await server?.close();
});

describeDb("backups to an S3-compatible bucket", (suite) => {
  const db = () => suite.db();
  let target: DbHandle;
  const ids: string[] = [];
  // One server for both databases' suites: each writes under its own prefix.
  const prefix = `platform/${suite.target}`;
  beforeAll(async () => {
    process.env.BACKUP_S3_PREFIX = prefix;
    await syncWorkflowFiles(db());
    target = await createTestDb(suite.target, { empty: true });
  });
  afterAll(async () => {
    await target?.close();
  });

  it("writes one backup to the folder and the bucket and verifies both copies", async () => {
    ids.push(await backupNow(db()));
    const [row] = await queryRows<{ verification: string; destinations: { name: string; location: string }[] }>(
      db(),
      sql`select verification, destinations from backups where id = ${ids[0]!}`,
    );
    expect(row!.verification).toBe("verified");
    expect(row!.destinations.map((d) => d.name)).toEqual(["local", "s3"]);
    expect(row!.destinations[1]!.location).toBe(`s3://orchestrator-backups/${prefix} at ${ENV.BACKUP_S3_ENDPOINT}`);
    expect(JSON.stringify(row!.destinations)).not.toContain("S3RVER");
    expect(await configuredS3()!.list()).toEqual([ids[0]]);
  });

  it("restores the bucket's copy into an empty database", async () => {
    const { destination, backupId } = parseS3Address(`s3://orchestrator-backups/${prefix}/${ids[0]!}/manifest.json`);
    expect(backupId).toBe(ids[0]);
    const result = await restoreBackup(target.db, destinationReader(destination, backupId), { key: restoreKey(KEY) });
    expect(result.backupId).toBe(ids[0]);
    const [restored] = await queryRows<{ n: number }>(
      target.db,
      sql`select count(*)::int as n from workflow_definitions`,
    );
    const [source] = await queryRows<{ n: number }>(db(), sql`select count(*)::int as n from workflow_definitions`);
    expect(restored!.n).toBe(source!.n);
  });

  it("applies each destination's own retention", async () => {
    ids.push(await backupNow(db()));
    // The bucket keeps 1, the folder 5.
    expect(await configuredS3()!.list()).toEqual([ids[1]]);
    for (const id of ids) expect(existsSync(path.join(ENV.BACKUP_DIR!, id, "manifest.json"))).toBe(true);
    const [row] = await queryRows<{ destinations: { name: string; prunedAt?: string }[] }>(
      db(),
      sql`select destinations from backups where id = ${ids[0]!}`,
    );
    expect(row!.destinations.find((d) => d.name === "s3")?.prunedAt).toBeTruthy();
    expect(row!.destinations.find((d) => d.name === "local")?.prunedAt).toBeFalsy();
  });
});
