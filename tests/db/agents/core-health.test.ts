import { expect, it } from "vitest";
import { core } from "@/agents/core";
import { openDb, type Db } from "@/db/client";
import { actionContext } from "../../helpers/agents";
import { describeDb } from "../../helpers/db";

async function health(db: Db) {
  const action = core.actions.health;
  return action.output.parse(await action.handler(action.input.parse({}), actionContext("core", "health", { db })));
}

describeDb("core.health", (suite) => {
  it("answers ok with the database latency and the time of the check", async () => {
    const before = Date.now();
    const result = await health(suite.db());
    expect(result.status).toBe("ok");
    expect(result.dbLatencyMs).toBeGreaterThanOrEqual(0);
    expect(result.dbLatencyMs).toBeLessThan(5_000);
    expect(Date.parse(result.checkedAt)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(result.checkedAt)).toBeLessThanOrEqual(Date.now());
  });

  it("refuses any input field", () => {
    expect(core.actions.health.input.safeParse({ verbose: true }).success).toBe(false);
  });
});

it("core.health fails (throws, an agent failure) when the database does not answer", async () => {
  // Nothing listens on port 1: the connection is refused at once.
  const handle = await openDb("postgres://postgres@127.0.0.1:1/none", "pg");
  try {
    await expect(health(handle.db)).rejects.toThrow();
  } finally {
    await handle.close();
  }
});
