/**
 * Continuation: the completion that makes a step ready may claim it at once, and the tick then
 * runs it with the run context it already holds. That context was loaded when the *previous*
 * step was claimed, so a dependency another worker completed since then is not in it. The
 * successor must still see the outputs of all its dependencies.
 *
 * Two real ticks play the two workers. The receiver holds the first root call to arrive (tick
 * A's), tick B then runs the other root to completion, and only then is A's call released:
 * A's completion makes `join` ready, with B's output absent from A's context.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { getRun } from "@/engine/runs";
import { startRun } from "@/engine/start-run";
import { tick } from "@/engine/tick";
import { describeDb } from "../helpers/db";
import { register, runUntilDone, stepOf } from "../helpers/engine";
import { startReceiver, type Receiver } from "../helpers/receiver";

let receiver: Receiver;
const previousAllowedHosts = process.env.HTTP_STEP_ALLOWED_HOSTS;

beforeAll(async () => {
  receiver = await startReceiver();
  process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
});

afterAll(async () => {
  await receiver.close();
  if (previousAllowedHosts === undefined) delete process.env.HTTP_STEP_ALLOWED_HOSTS;
  else process.env.HTTP_STEP_ALLOWED_HOSTS = previousAllowedHosts;
});

/**
 * Tick A claims one root (batch of 1) and its call is held; tick B runs everything else it can;
 * then A's call is released and A finishes. Returns what each tick claimed.
 */
async function interleave(db: Parameters<typeof tick>[0], prefix: string): Promise<{ a: number; b: number }> {
  let held = false;
  receiver.setHold(({ path }) => {
    if (held || !path.startsWith(prefix) || path.startsWith(`${prefix}/join`)) return 0;
    held = true;
    return "until_released";
  });
  try {
    const a = tick(db, { budgetMs: 20_000, batchSize: 1 });
    await receiver.waitUntil(() => receiver.inFlight(prefix).length === 1, 10_000, "tick A's call to be held");
    const b = await tick(db, { budgetMs: 20_000 });
    expect(receiver.inFlight(prefix)).toHaveLength(1); // A is still waiting for its answer
    receiver.releaseAll();
    return { a: (await a).claimed, b: b.claimed };
  } finally {
    receiver.setHold(() => 0);
    receiver.releaseAll();
  }
}

describeDb("engine continuation", (suite) => {
  it("a successor claimed by its predecessor's completion sees the output of a dependency another worker completed meanwhile", async () => {
    const db = suite.db();
    const base = receiver.base;
    await register(
      db,
      `
name: diamond
steps:
  - name: left
    http: { url: "${base}/diamond/left" }
    timeout: 5s
  - name: right
    http: { url: "${base}/diamond/right" }
    timeout: 5s
  - name: join
    depends_on: [left, right]
    http: { url: "${base}/diamond/join", body: { left: "{{ steps.left.output.body.key }}", right: "{{ steps.right.output.body.key }}" } }
    timeout: 5s
`,
    );
    const { id } = await startRun(db, { workflow: "diamond" });
    const claimed = await interleave(db, "/diamond");
    expect(claimed.b).toBe(1); // B ran the other root only: `join` still waited for A's
    const run = await runUntilDone(db, id);
    expect(run.status).toBe("succeeded");
    const joins = receiver.callsFor(`${id}:join`);
    expect(joins.map((c) => JSON.parse(c.body))).toEqual([{ left: `${id}:left`, right: `${id}:right` }]);
    expect(stepOf(await getRun(db, id), "join").input).toMatchObject({
      body: { left: `${id}:left`, right: `${id}:right` },
    });
  });

  it("the same when the dependency the other worker completed is a for_each, whose output is assembled in the database", async () => {
    const db = suite.db();
    const base = receiver.base;
    await register(
      db,
      `
name: diamond_each
steps:
  - name: single
    http: { url: "${base}/each/single" }
    timeout: 5s
  - name: fan
    for_each: "{{ input.items }}"
    http: { url: "${base}/each/fan/{{ item }}" }
    timeout: 5s
  - name: join
    depends_on: [single, fan]
    http: { url: "${base}/each/join", body: { single: "{{ steps.single.output.body.key }}", fan: "{{ steps.fan.output[*].body.key }}" } }
    timeout: 5s
`,
    );
    const { id } = await startRun(db, { workflow: "diamond_each", input: { items: ["x", "y"] } });
    await interleave(db, "/each");
    const run = await runUntilDone(db, id);
    expect(run.status).toBe("succeeded");
    // Tick A held whichever root it claimed; either way `join` needs both outputs.
    expect(receiver.callsFor(`${id}:join`).map((c) => JSON.parse(c.body))).toEqual([
      { single: `${id}:single`, fan: [`${id}:fan:0`, `${id}:fan:1`] },
    ]);
  });
});
