import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { dueInstants, startDueCronRuns } from "@/engine/cron";
import { describeDb } from "../../helpers/db";
import { register } from "../../helpers/engine";

it("lists the scheduled instants inside a window, in UTC", () => {
  const from = new Date("2026-01-01T00:03:00Z");
  const to = new Date("2026-01-01T00:16:00Z");
  expect(dueInstants("*/5 * * * *", from, to).map((d) => d.toISOString())).toEqual([
    "2026-01-01T00:05:00.000Z",
    "2026-01-01T00:10:00.000Z",
    "2026-01-01T00:15:00.000Z",
  ]);
});

describeDb("cron triggers", (suite) => {
  it("start exactly one run per scheduled instant, however many ticks run at once", async () => {
    await register(
      suite.db(),
      "name: every_minute\ntrigger: { cron: '* * * * *' }\nsteps:\n  - name: s\n    emit: { topic: tick }\n",
    );
    // Instants before the version was registered never run: look three minutes ahead of it.
    const now = new Date(Date.now() + 3 * 60_000);
    const started = await Promise.all(Array.from({ length: 5 }, () => startDueCronRuns(suite.db(), now)));
    const rows = await queryRows<{ key: string }>(
      suite.db(),
      sql`select idempotency_key as key from runs where workflow = 'every_minute' order by idempotency_key`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.length).toBeLessThanOrEqual(4);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    expect(started.reduce((a, b) => a + b, 0)).toBe(rows.length);
    expect(await startDueCronRuns(suite.db(), now)).toBe(0);
  });
});
