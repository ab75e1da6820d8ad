/**
 * `when`, `wait_for_event.match` and a trigger `filter` judge a template's result by one rule
 * (isTruthy): each is driven here through the real engine with the same table of values.
 */
import { expect, it } from "vitest";
import { publishEvent } from "@/engine/events";
import { cancelRun, getRun } from "@/engine/runs";
import { startRun } from "@/engine/start-run";
import { describeDb } from "../../helpers/db";
import { finishRun, register, stepOf, tickOnce } from "../../helpers/engine";
import { TRUTHINESS_TABLE, dataOf } from "../../unit/engine/definition/truthiness-table";

describeDb("one truthiness rule for when, match and filter", (suite) => {
  it("skips a step exactly when its `when` is falsy", async () => {
    await register(
      suite.db(),
      `
name: truth_when
steps:
  - name: gated
    when: "{{ input.v }}"
    emit: { topic: truth.when }
`,
    );
    for (const c of TRUTHINESS_TABLE) {
      const run = await finishRun(suite.db(), { workflow: "truth_when", input: dataOf(c) });
      expect({ case: c.label, status: stepOf(run, "gated").status }).toEqual({
        case: c.label,
        status: c.truthy ? "succeeded" : "skipped",
      });
    }
  });

  it("starts a run for an event exactly when the trigger filter is truthy", async () => {
    await register(
      suite.db(),
      `
name: truth_filter
trigger: { event: truth.filter, filter: "{{ event.data.v }}" }
steps:
  - name: ack
    emit: { topic: truth.acked }
`,
    );
    for (const c of TRUTHINESS_TABLE) {
      const published = await publishEvent(suite.db(), { topic: "truth.filter", data: dataOf(c), source: "test" });
      expect({ case: c.label, runs: published.runIds.length }).toEqual({ case: c.label, runs: c.truthy ? 1 : 0 });
    }
  });

  it("wakes a waiting step exactly when its `match` is truthy for the event", async () => {
    await register(
      suite.db(),
      `
name: truth_match
steps:
  - name: wait
    wait_for_event: { topic: truth.match, match: "{{ event.data.v }}", timeout: 10m }
`,
    );
    for (const c of TRUTHINESS_TABLE) {
      const { id } = await startRun(suite.db(), { workflow: "truth_match" });
      await tickOnce(suite.db());
      expect(stepOf(await getRun(suite.db(), id), "wait").status).toBe("waiting");
      await publishEvent(suite.db(), { topic: "truth.match", data: dataOf(c), source: "test" });
      const status = stepOf(await getRun(suite.db(), id), "wait").status;
      expect({ case: c.label, status }).toEqual({ case: c.label, status: c.truthy ? "succeeded" : "waiting" });
      if (!c.truthy) await cancelRun(suite.db(), id);
    }
  });
});
