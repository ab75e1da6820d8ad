import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import { authenticateApiKey } from "@/auth/api-keys";
import { bootstrapAdminKey } from "@/auth/bootstrap";
import { openDb, queryRows } from "@/db/client";
import { migrate } from "@/db/migrate";
import { describeDb } from "../helpers/db";

afterEach(() => {
  delete process.env.ADMIN_API_KEY;
});

it("the generated admin key and everything else survive a restart of the embedded database", async () => {
  const folder = mkdtempSync(path.join(tmpdir(), "pglite-restart-"));
  const first = await openDb(undefined, "pglite", { pgliteDataDir: folder });
  expect((await migrate(first.db)).applied.length).toBeGreaterThan(0);
  const boot = await bootstrapAdminKey(first.db);
  expect(boot.created).toBe(true);
  const key = readFileSync(boot.location, "utf8").trim();
  expect((await authenticateApiKey(first.db, key))?.role).toBe("admin");
  await first.close();

  const second = await openDb(undefined, "pglite", { pgliteDataDir: folder });
  try {
    expect((await migrate(second.db)).applied).toEqual([]);
    const again = await bootstrapAdminKey(second.db);
    expect(again).toMatchObject({ created: false, location: boot.location });
    expect(readFileSync(boot.location, "utf8").trim()).toBe(key);
    expect((await authenticateApiKey(second.db, key))?.role).toBe("admin");
  } finally {
    await second.close();
  }
});

describeDb("bootstrap admin key", (suite) => {
  it("writes the key to DATA_DIR/admin-key with mode 0600 and stores only its hash", async () => {
    const boot = await bootstrapAdminKey(suite.db());
    expect(boot.location).toBe(path.join(process.env.DATA_DIR!, "admin-key"));
    expect(statSync(boot.location).mode & 0o777).toBe(0o600);
    const key = readFileSync(boot.location, "utf8").trim();
    expect(key).toMatch(/^aok_/);
    const rows = await queryRows<Record<string, unknown>>(suite.db(), sql`select * from api_keys`);
    expect(JSON.stringify(rows)).not.toContain(key);
    expect(JSON.stringify(rows)).toContain(key.slice(0, 12));
  });

  it("re-registers the key from the file in a database that does not know it", async () => {
    const boot = await bootstrapAdminKey(suite.db());
    const key = readFileSync(boot.location, "utf8").trim();
    await suite.db().execute(sql`delete from api_keys`);
    expect(await authenticateApiKey(suite.db(), key)).toBeNull();
    await bootstrapAdminKey(suite.db());
    expect((await authenticateApiKey(suite.db(), key))?.role).toBe("admin");
  });

  it("does not resurrect a revoked bootstrap key", async () => {
    const boot = await bootstrapAdminKey(suite.db());
    const key = readFileSync(boot.location, "utf8").trim();
    await suite.db().execute(sql`update api_keys set revoked_at = now()`);
    await bootstrapAdminKey(suite.db());
    expect(await authenticateApiKey(suite.db(), key)).toBeNull();
  });

  it("generates nothing when ADMIN_API_KEY is set", async () => {
    process.env.ADMIN_API_KEY = "configured-admin-key-0123456789abcdef";
    const boot = await bootstrapAdminKey(suite.db());
    expect(boot).toEqual({ source: "env", location: "ADMIN_API_KEY", created: false });
  });
});
