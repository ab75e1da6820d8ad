import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as health } from "@/app/api/health/route";
import { GET as listKeys } from "@/app/api/keys/route";
import { openDb, setDbHandle, type DbHandle } from "@/db/client";
import { describeDb } from "../helpers/db";
import { callJson } from "../helpers/http";

describeDb("GET /api/health", () => {
  it("answers 200 with the database check and the version", async () => {
    const res = await callJson<{ status: string; checks: { database: { status: string; latencyMs: number } }; version: string }>(health, "/api/health");
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("ok");
    expect(res.body.checks.database.status).toBe("ok");
    expect(res.body.checks.database.latencyMs).toBeGreaterThanOrEqual(0);
    expect(res.body.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("when the database is unreachable", () => {
  let handle: DbHandle;
  beforeAll(async () => {
    // Nothing listens on port 1: every connection is refused.
    process.env.LOG_LEVEL = "silent"; // the failures below are expected; keep the test output clean
    handle = await openDb("postgres://postgres@127.0.0.1:1/nowhere", "pg");
    setDbHandle(handle);
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await handle.close();
    process.env.LOG_LEVEL = "error";
  });

  it("health answers 503 with status down", async () => {
    const res = await callJson<{ status: string; checks: { database: { status: string; latencyMs: null } } }>(health, "/api/health");
    expect(res.status).toBe(503);
    expect(res.body.status).toBe("down");
    expect(res.body.checks.database).toMatchObject({ status: "down", latencyMs: null });
  });

  it("an authenticated route answers 503 database_unavailable, not 500", async () => {
    const res = await callJson<{ error: { code: string } }>(listKeys, "/api/keys", { key: "aok_whateverwhateverwhateverwhateverwhatever12" });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("database_unavailable");
  });
});
