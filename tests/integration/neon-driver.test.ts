/**
 * The Neon serverless driver (WebSockets), against the local Postgres through a
 * WebSocket-to-TCP relay. Proves what the production path on Neon relies on: the migrator runs,
 * and INTERACTIVE transactions (read-your-writes, rollback, commit) work through the driver.
 */
import { eq, sql } from "drizzle-orm";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/auth/api-keys";
import { openDb, queryRows, type DbHandle } from "@/db/client";
import { migrate, readMigrations, type MigrateResult } from "@/db/migrate";
import { apiKeys } from "@/db/schema";
import { createPostgresDatabase } from "../helpers/db";
import { startWsRelay, type WsRelay } from "../helpers/ws-relay";

class Rollback extends Error {}

describe.skipIf(!process.env.TEST_DATABASE_URL)("Neon serverless driver through a local WebSocket relay", () => {
  let relay: WsRelay | undefined;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let handle: DbHandle | undefined;
  let firstMigration: MigrateResult | undefined;

  function db() {
    if (!handle) throw new Error("the Neon handle is not open");
    return handle.db;
  }

  beforeAll(async () => {
    relay = await startWsRelay();
    database = await createPostgresDatabase();
    handle = await openDb(database.url, "neon", { neonWsProxy: relay.wsProxy });
    firstMigration = await migrate(handle.db);
  });

  afterAll(async () => {
    await handle?.close();
    await database?.drop();
    await relay?.close();
  });

  it("opens a neon handle whose queries go through the relay to the local Postgres", async () => {
    expect(handle?.driver).toBe("neon");
    const [row] = await queryRows<{ db: string }>(db(), sql`select current_database() as db`);
    expect(row?.db).toBe(new URL(database!.url).pathname.slice(1));
    expect(relay!.connections).toBeGreaterThan(0);
    const target = new URL(process.env.TEST_DATABASE_URL!);
    expect(relay!.targets).toContain(`${target.hostname}:${target.port || 5432}`);
  });

  it("runs the migrator through the driver: every table exists and a second run applies nothing", async () => {
    const tags = (await readMigrations()).map((m) => m.tag);
    expect(firstMigration?.applied).toEqual(tags);
    const tables = await queryRows<{ table_name: string }>(
      db(),
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(["api_keys", "audit_log", "schema_migrations"]),
    );
    const second = await migrate(db());
    expect(second).toEqual({ applied: [], alreadyApplied: tags.length });
  });

  it("rolls back an interactive transaction: its write is visible inside, invisible outside, and gone after the throw", async () => {
    let id: string | undefined;
    const run = db().transaction(async (tx) => {
      const { apiKey } = await createApiKey(tx, { name: "rolled back", role: "viewer" });
      id = apiKey.id;
      // Read-your-writes on the transaction's own connection…
      const inside = await tx.select().from(apiKeys).where(eq(apiKeys.id, apiKey.id));
      expect(inside.map((r) => r.name)).toEqual(["rolled back"]);
      // …while another pooled connection does not see the uncommitted row.
      const outside = await db().select().from(apiKeys).where(eq(apiKeys.id, apiKey.id));
      expect(outside).toEqual([]);
      throw new Rollback("roll back");
    });
    await expect(run).rejects.toBeInstanceOf(Rollback);
    expect(id).toBeDefined();
    expect(await db().select().from(apiKeys).where(eq(apiKeys.id, id!))).toEqual([]);
  });

  it("commits an interactive transaction: both writes persist, read back inside and after", async () => {
    const ids = await db().transaction(async (tx) => {
      const a = await createApiKey(tx, { name: "committed a", role: "viewer" });
      const [counted] = await queryRows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from api_keys where id = ${a.apiKey.id}`,
      );
      expect(counted?.n).toBe(1);
      const b = await createApiKey(tx, { name: "committed b", role: "operator", createdBy: `key:${a.apiKey.id}` });
      return [a.apiKey.id, b.apiKey.id];
    });
    const rows = await db().select().from(apiKeys).where(sql`${apiKeys.id} in (${ids[0]}, ${ids[1]})`);
    expect(rows.map((r) => r.name).sort()).toEqual(["committed a", "committed b"]);
  });

  it("the relay refuses a target that is not a loopback address", async () => {
    const before = relay!.refused;
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://${relay!.wsProxy("192.0.2.1", 5432)}`);
      ws.on("unexpected-response", (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on("open", () => {
        ws.close();
        reject(new Error("the relay accepted a non-loopback target"));
      });
      ws.on("error", () => undefined);
    });
    expect(status).toBe(403);
    expect(relay!.refused).toBe(before + 1);
  });
});
