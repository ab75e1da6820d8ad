/**
 * The built-in `cache_miss_rate` rule (migration 0018) against lookups really made through the
 * gateway: it fires for a cacheable action missing more than 30 % of its lookups over its window,
 * not for one that hits, nor for one with fewer lookups than the rule's minimum, and it follows
 * its threshold when an admin changes it.
 */
import { sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { z } from "zod";
import { registerAgent } from "@/agents/catalog";
import { defineAction } from "@/agents/framework";
import { gatewayInvoker } from "@/agents/gateway";
import { queryRows, type Db } from "@/db/client";
import { listAlerts } from "@/operations/alerts/alerts";
import { evaluateAlerts } from "@/operations/alerts/evaluate";
import { getRule, updateRule } from "@/operations/alerts/rules";
import { flushMetrics } from "@/observability/metrics/record";
import { describeDb } from "../../helpers/db";

const AGENT = "cache-alert";

beforeAll(() => {
  const action = defineAction({
    description: "Echoes its input.",
    input: z.unknown(),
    output: z.unknown(),
    cache: { ttlMs: 60_000, version: 1 },
    handler: async (input) => ({ echoed: input }),
  });
  registerAgent({
    name: AGENT,
    description: "The cache alert's test agent.",
    actions: { missing: action, hitting: action, rare: action },
  });
});

let sequence = 0;
async function lookup(db: Db, action: string, input: unknown): Promise<void> {
  sequence += 1;
  const result = await gatewayInvoker.invoke({
    db,
    agent: AGENT,
    action,
    input,
    idempotencyKey: `alert:${sequence}`,
    attempt: 1,
    taskId: `${sequence}.1`,
    timeoutMs: 10_000,
    signal: new AbortController().signal,
  });
  expect(result.status).toBe("completed");
}

describeDb("cache miss rate alert", (suite) => {
  it("fires per cacheable action over the threshold, judged from the rule's minimum of lookups", async () => {
    const db = suite.db();
    await db.execute(sql`update alert_rules set enabled = coalesce(builtin = 'cache_miss_rate', false)`);
    const [row] = await queryRows<{ id: string }>(
      db,
      sql`select id from alert_rules where builtin = 'cache_miss_rate'`,
    );
    const rule = await getRule(db, row!.id);
    expect(rule).toMatchObject({
      source: "condition",
      condition: "cache_miss_rate",
      comparator: "gt",
      threshold: 0.3,
      minCount: 20,
      enabled: true,
    });

    // missing: 25 distinct inputs, every lookup a miss. hitting: 1 miss then 24 hits (4 % missed).
    // rare: 5 misses, under the rule's 20 lookups: not judged.
    for (let i = 0; i < 25; i++) await lookup(db, "missing", { i });
    for (let i = 0; i < 25; i++) await lookup(db, "hitting", { same: true });
    for (let i = 0; i < 5; i++) await lookup(db, "rare", { i });
    await flushMetrics(db);

    const first = await evaluateAlerts(db);
    expect(first.errors).toEqual([]);
    expect(first.fired.map((f) => f.subject)).toEqual([`${AGENT}/missing`]);
    const [alert] = (await listAlerts(db, { limit: 10, ruleId: rule.id })).alerts;
    expect(alert).toMatchObject({ subject: `${AGENT}/missing`, value: 1, state: "active" });
    expect(alert!.message).toContain("100 %");
    expect(alert!.message).toContain("25 of 25 lookups");

    // Configurable like any rule: above a threshold of 100 % nothing is breached, the alert resolves.
    await updateRule(db, rule.id, { threshold: 1 });
    const second = await evaluateAlerts(db);
    expect(second.fired).toEqual([]);
    expect(second.resolved).toBe(1);

    // A threshold of 3 % catches the hitting action too (1 of 25 = 4 %).
    await updateRule(db, rule.id, { threshold: 0.03, cooldownSeconds: 0 });
    const third = await evaluateAlerts(db);
    expect(third.fired.map((f) => f.subject).sort()).toEqual([`${AGENT}/hitting`, `${AGENT}/missing`]);
  });
});
