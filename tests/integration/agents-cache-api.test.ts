/**
 * `GET` and `DELETE /api/agents/cache` through their handlers: the hit rates of the shipped
 * cacheable actions after real calls through the gateway, invalidation by key and by action
 * (operators, audited), and bad input answered 4xx with the JSON error body.
 */
import { sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { createApiKey } from "@/auth/api-keys";
import type { Role } from "@/auth/roles";
import { gatewayInvoker } from "@/agents/gateway";
import { cacheKeyOf, inputHashOf } from "@/agents/gateway/cache";
import { DELETE as invalidate, GET as stats } from "@/app/api/agents/cache/route";
import { cacheStatsSchema } from "@/dashboard/cache";
import { queryRows, type Db } from "@/db/client";
import { describeDb } from "../helpers/db";
import { callJson } from "../helpers/http";

const BRIEF = {
  businessName: "Cache Café",
  slug: "cache-cafe",
  industry: "restaurant",
  industryFamily: "restaurant",
  audience: "people nearby",
  tone: "friendly",
  pages: ["home", "contact"],
  contactEmail: null,
  language: "en",
  brandColor: null,
  tagline: "Good food, close by",
};

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}
interface StatsBody {
  windowMinutes: number;
  actions: { agent: string; action: string; cacheable: boolean; lookups: number; hits: number; entries: number }[];
}

let sequence = 0;
async function design(db: Db, brief: Record<string, unknown>) {
  sequence += 1;
  return gatewayInvoker.invoke({
    db,
    agent: "design-ia",
    action: "generate_design",
    input: { brief },
    idempotencyKey: `api:${sequence}`,
    attempt: 1,
    taskId: `${sequence}.1`,
    timeoutMs: 10_000,
    signal: new AbortController().signal,
  });
}

describeDb("agents cache over HTTP", (suite) => {
  const keys = {} as Record<Role, string>;

  beforeAll(async () => {
    for (const role of ["viewer", "operator", "admin"] as const)
      keys[role] = (await createApiKey(suite.db(), { name: `cache ${role}`, role })).key;
  });

  it("shows the hit rate per cacheable action, and invalidates by key and by action", async () => {
    const db = suite.db();
    await design(db, BRIEF);
    const hit = await design(db, { ...BRIEF });
    expect(hit).toMatchObject({ status: "completed", cached: { key: expect.any(String) } });
    await design(db, { ...BRIEF, slug: "cache-cafe-2" });

    expect((await callJson(stats, "/api/agents/cache", { key: keys.viewer })).status).toBe(200);
    expect((await callJson(stats, "/api/agents/cache")).status).toBe(401);
    const listed = await callJson<StatsBody>(stats, "/api/agents/cache?windowMinutes=30", { key: keys.operator });
    expect(listed.status).toBe(200);
    expect(listed.body.windowMinutes).toBe(30);
    // The dashboard's panel reads this answer through its schema.
    expect(cacheStatsSchema.safeParse(listed.body).error).toBeUndefined();
    expect(listed.body.actions.find((a) => a.action === "generate_design")).toMatchObject({
      agent: "design-ia",
      cacheable: true,
      lookups: 3,
      hits: 1,
      entries: 2,
    });
    expect(listed.body.actions.find((a) => a.action === "qa_check")).toMatchObject({ agent: "core", cacheable: true });

    const key = cacheKeyOf("design-ia", "generate_design", 1, inputHashOf({ brief: BRIEF }));
    expect((hit as { cached: { key: string } }).cached.key).toBe(key);
    const forbidden = await callJson<ErrorBody>(invalidate, `/api/agents/cache?key=${key}`, {
      method: "DELETE",
      key: keys.viewer,
    });
    expect(forbidden.status).toBe(403);
    const byKey = await callJson(invalidate, `/api/agents/cache?key=${key}`, { method: "DELETE", key: keys.operator });
    expect(byKey).toMatchObject({ status: 200, body: { deleted: 1 } });
    const again = await design(db, BRIEF);
    expect(again.status).toBe("completed");
    expect("cached" in again).toBe(false);

    const byAction = await callJson(invalidate, "/api/agents/cache?agent=design-ia&action=generate_design", {
      method: "DELETE",
      key: keys.admin,
    });
    expect(byAction).toMatchObject({ status: 200, body: { deleted: 2 } });
    const [left] = await queryRows<{ n: unknown }>(db, sql`select count(*)::int as n from agent_cache_entries`);
    expect(Number(left!.n)).toBe(0);

    const audited = await queryRows<{ action: string; target: string; details: unknown }>(
      db,
      sql`select action, target, details from audit_log where action = 'agents.cache.invalidate' order by id`,
    );
    // The viewer's refusal is audited too (before the handler named a target).
    expect(audited.map((a) => a.target)).toEqual([null, key, "design-ia/generate_design"]);
    expect(audited[2]!.details).toEqual({ deleted: 2 });
  });

  it.each([
    ["nothing named", ""],
    ["a key and an action", "?key=" + "a".repeat(64) + "&agent=design-ia&action=generate_design"],
    ["an agent without its action", "?agent=design-ia"],
    ["an action without its agent", "?action=generate_design"],
    ["a malformed key", "?key=XYZ"],
    ["a malformed agent name", "?agent=Design IA&action=generate_design"],
    ["an unknown parameter", "?agent=design-ia&action=generate_design&all=1"],
  ])("refuses %s with 400", async (_what, query) => {
    const res = await callJson<ErrorBody>(invalidate, `/api/agents/cache${query}`, {
      method: "DELETE",
      key: keys.operator,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
    expect(typeof res.body.error.message).toBe("string");
  });

  it("answers 404 for an action the catalog does not know, and 400 for a bad window", async () => {
    const unknown = await callJson<ErrorBody>(invalidate, "/api/agents/cache?agent=design-ia&action=nope", {
      method: "DELETE",
      key: keys.operator,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("not_found");
    const window = await callJson<ErrorBody>(stats, "/api/agents/cache?windowMinutes=5000", { key: keys.operator });
    expect(window.status).toBe(400);
    expect(window.body.error.code).toBe("validation_failed");
  });
});
