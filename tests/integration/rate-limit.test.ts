/**
 * Public endpoints' rate limits (src/db/rate-limit.ts) on a real database: keyed on the trusted
 * hop's address so a spoofed X-Forwarded-For can neither lock out another client nor dodge its own
 * limit, one IPv6 /64 is one client, a ceiling over all addresses bounds a distributed client, and
 * idle buckets are pruned in batches.
 */
import { sql } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import { POST as signIn } from "@/app/api/session/route";
import { queryRows } from "@/db/client";
import { pruneIdleRequestBuckets } from "@/db/token-bucket";
import { enforceAddressLimit, IDLE_BUCKET_MS, resetPruneClock } from "@/db/rate-limit";
import { ORDER_LIMIT } from "@/projects/schema";
import { LOGIN_LIMIT } from "@/auth/session";
import { describeDb } from "../helpers/db";
import { call } from "../helpers/http";

const login = (headers: Record<string, string>) =>
  call(signIn, "/api/session", { method: "POST", body: { apiKey: "aok_not_a_real_key_not_a_real_key_000" }, headers });

describeDb("public rate limits", (suite) => {
  afterEach(async () => {
    await suite.db().execute(sql`delete from request_rate_buckets`);
  });

  it("a client prepending someone else's address to X-Forwarded-For spends its own bucket, not theirs", async () => {
    const victim = "198.51.100.10";
    const attacker = "203.0.113.66";
    // What `next start` sees from a direct client that sent its own header: the claim, then (on
    // a proxy, TRUSTED_PROXY_COUNT=1) the address the proxy saw. Default count 0: the last entry.
    for (let i = 0; i < 10; i++)
      expect((await login({ "x-forwarded-for": `${victim}, ${attacker}` })).status).toBe(401);
    expect((await login({ "x-forwarded-for": `${victim}, ${attacker}` })).status).toBe(429);
    expect((await login({ "x-forwarded-for": `${victim.replace(/\d+$/, "11")}, ${attacker}` })).status).toBe(429);
    // The victim still signs in (tries: 401 for the junk key, not 429).
    expect((await login({ "x-forwarded-for": victim })).status).toBe(401);
  });

  it("one IPv6 /64 is one client: rotating the low 64 bits does not reset the limit", async () => {
    for (let i = 0; i < 10; i++)
      expect((await login({ "x-forwarded-for": `2001:db8:7:7:${(i + 1).toString(16)}::1` })).status).toBe(401);
    expect((await login({ "x-forwarded-for": "2001:db8:7:7:ffff:ffff:ffff:ffff" })).status).toBe(429);
    expect((await login({ "x-forwarded-for": "2001:db8:7:8::1" })).status).toBe(401);
  });

  it("caps all addresses together: a client spread over many addresses is refused past the ceiling", async () => {
    const limit = {
      name: "ceiling-test",
      perAddress: { capacity: 2, perMs: 1 / 60_000 },
      allAddresses: { capacity: 5, perMs: 1 / 60_000 },
    };
    const outcomes: string[] = [];
    for (let i = 1; i <= 7; i++) {
      try {
        await enforceAddressLimit(suite.db(), limit, `192.0.2.${i}`);
        outcomes.push("ok");
      } catch (error) {
        outcomes.push((error as { code?: string }).code ?? "error");
      }
    }
    expect(outcomes).toEqual(["ok", "ok", "ok", "ok", "ok", "rate_limited", "rate_limited"]);
    // The routes declare such a ceiling, well above their per-address limit.
    for (const l of [ORDER_LIMIT, LOGIN_LIMIT]) expect(l.allAddresses.capacity).toBeGreaterThan(l.perAddress.capacity);
  });

  it("an address over its own limit does not drain the ceiling for others", async () => {
    const limit = {
      name: "drain-test",
      perAddress: { capacity: 1, perMs: 1 / 60_000 },
      allAddresses: { capacity: 3, perMs: 1 / 60_000 },
    };
    await enforceAddressLimit(suite.db(), limit, "192.0.2.1");
    for (let i = 0; i < 10; i++)
      await expect(enforceAddressLimit(suite.db(), limit, "192.0.2.1")).rejects.toMatchObject({ code: "rate_limited" });
    await enforceAddressLimit(suite.db(), limit, "192.0.2.2");
    await enforceAddressLimit(suite.db(), limit, "192.0.2.3");
  });

  it("prunes buckets idle longer than the idle time, in batches, and keeps live ones", async () => {
    const db = suite.db();
    await db.execute(sql`insert into request_rate_buckets (key, tokens, refilled_at)
      select 'old:' || g, 1, now() - interval '2 hours' from generate_series(1, 5) g`);
    await db.execute(
      sql`insert into request_rate_buckets (key, tokens, refilled_at) values ('live:1', 1, now() - interval '5 minutes')`,
    );
    expect(await pruneIdleRequestBuckets(db, IDLE_BUCKET_MS, 3)).toBe(3);
    expect(await pruneIdleRequestBuckets(db, IDLE_BUCKET_MS, 3)).toBe(2);
    expect(await pruneIdleRequestBuckets(db, IDLE_BUCKET_MS, 3)).toBe(0);
    const keys = await queryRows<{ key: string }>(db, sql`select key from request_rate_buckets order by key`);
    expect(keys.map((k) => k.key)).toEqual(["live:1"]);
  });

  it("prunes on write: a request's rate-limit check sweeps idle buckets", async () => {
    const db = suite.db();
    await db.execute(
      sql`insert into request_rate_buckets (key, tokens, refilled_at) values ('old:x', 1, now() - interval '3 hours')`,
    );
    resetPruneClock();
    expect((await login({ "x-forwarded-for": "192.0.2.200" })).status).toBe(401);
    const keys = await queryRows<{ key: string }>(db, sql`select key from request_rate_buckets order by key`);
    expect(keys.map((k) => k.key)).toEqual(["session:*", "session:192.0.2.200"]);
  });
});
