/** A for_each fans out over at most FOR_EACH_MAX_ITEMS items; a longer array fails the step at once. */
import { afterEach, expect, it } from "vitest";
import { startRun } from "@/engine/start-run";
import { describeDb } from "../../helpers/db";
import { register, runUntilDone, stepOf } from "../../helpers/engine";

const FAN_OUT = `
name: fan_out
steps:
  - name: each
    for_each: "{{ input.items }}"
    emit: { topic: fan.item, data: "{{ item }}" }
`;

afterEach(() => {
  delete process.env.FOR_EACH_MAX_ITEMS;
});

describeDb("the for_each item cap", (suite) => {
  it("fails a step over the default cap of 1000 items, without retry, naming the cap and the count", async () => {
    await register(suite.db(), FAN_OUT);
    const { id } = await startRun(suite.db(), {
      workflow: "fan_out",
      input: { items: Array.from({ length: 1_001 }, (_, i) => i) },
    });
    const run = await runUntilDone(suite.db(), id);
    expect(run.status).toBe("failed");
    const step = stepOf(run, "each");
    expect(step.status).toBe("failed");
    expect(step.attempts).toBe(1);
    expect(step.error).toMatchObject({ name: "NonRetryableError", details: { items: 1_001, cap: 1_000 } });
    expect((step.error as { message: string }).message).toContain(
      "gave 1001 items, more than the cap of 1000 (FOR_EACH_MAX_ITEMS)",
    );
    expect(run.steps.filter((s) => s.name === "each")).toHaveLength(1); // no item row was written
  });

  it("follows FOR_EACH_MAX_ITEMS: an array at the cap fans out, one over it fails", async () => {
    process.env.FOR_EACH_MAX_ITEMS = "3";
    await register(suite.db(), FAN_OUT);
    const atCap = await runUntilDone(
      suite.db(),
      (await startRun(suite.db(), { workflow: "fan_out", input: { items: [1, 2, 3] } })).id,
    );
    expect(atCap.status).toBe("succeeded");
    expect(stepOf(atCap, "each").output).toHaveLength(3);
    const over = await runUntilDone(
      suite.db(),
      (await startRun(suite.db(), { workflow: "fan_out", input: { items: [1, 2, 3, 4] } })).id,
    );
    expect(over.status).toBe("failed");
    expect(stepOf(over, "each").error).toMatchObject({ details: { items: 4, cap: 3 } });
  });
});
