/**
 * The `all_done` and `one_success` trigger rules, end to end: real database, real engine ticks,
 * dependencies that succeed, fail (without retry), are skipped, and finish late.
 */
import { beforeAll, expect, it } from "vitest";
import type { RunView } from "@/engine/runs";
import { describeDb } from "../../helpers/db";
import { finishRun, register, stepOf, stepStatuses } from "../../helpers/engine";
import { registerTestAgent } from "../../helpers/test-agent";

beforeAll(() => registerTestAgent("rules", "failed on purpose"));

/** The step started after every named step had finished. */
function startedAfter(run: RunView, name: string, deps: string[]): void {
  const started = Date.parse(stepOf(run, name).startedAt ?? "");
  for (const dep of deps)
    expect(started, `${name} after ${dep}`).toBeGreaterThanOrEqual(Date.parse(stepOf(run, dep).finishedAt ?? ""));
}

describeDb("trigger rules", (suite) => {
  it("all_done runs once every dependency is final, whether it succeeded, failed or was skipped; all_success is skipped", async () => {
    await register(
      suite.db(),
      `
name: rule_all_done
steps:
  - name: good
    agent: rules
    action: ok
    input: { n: 1 }
  - name: bad
    agent: rules
    action: fail
  - name: unneeded
    when: "{{ input.never }}"
    agent: rules
    action: ok
  - name: late
    sleep: 300ms
  - name: cleanup
    depends_on: [good, bad, unneeded, late]
    trigger_rule: all_done
    agent: rules
    action: ok
    input: { good: "{{ steps.good.output }}", late: "{{ steps.late.output }}" }
  - name: strict
    depends_on: [good, bad, unneeded, late]
    agent: rules
    action: ok
`,
    );
    const run = await finishRun(suite.db(), { workflow: "rule_all_done" });
    expect(stepStatuses(run)).toEqual({
      good: "succeeded",
      bad: "failed",
      unneeded: "skipped",
      late: "succeeded",
      cleanup: "succeeded",
      strict: "skipped",
    });
    expect(stepOf(run, "bad").attempts).toBe(1);
    startedAfter(run, "cleanup", ["good", "bad", "late"]);
    expect(stepOf(run, "cleanup").output).toEqual({ got: { good: { got: { n: 1 } }, late: null } });
    expect(run.status).toBe("failed"); // a step failed: running the cleanup does not hide it
  });

  it("all_done after dependencies that all succeed runs like all_success, and the run succeeds", async () => {
    await register(
      suite.db(),
      `
name: rule_all_done_ok
steps:
  - name: a
    agent: rules
    action: ok
  - name: b
    sleep: 100ms
  - name: after
    depends_on: [a, b]
    trigger_rule: all_done
    agent: rules
    action: ok
`,
    );
    const run = await finishRun(suite.db(), { workflow: "rule_all_done_ok" });
    expect(stepStatuses(run)).toEqual({ a: "succeeded", b: "succeeded", after: "succeeded" });
    startedAfter(run, "after", ["a", "b"]);
    expect(run.status).toBe("succeeded");
  });

  it("one_success runs as soon as one dependency succeeds, without waiting for the others, and is skipped when none does", async () => {
    await register(
      suite.db(),
      `
name: rule_one_success
steps:
  - name: bad
    agent: rules
    action: fail
  - name: quick
    agent: rules
    action: ok
    input: { q: true }
  - name: slow
    sleep: 1500ms
  - name: unneeded
    when: "{{ input.never }}"
    agent: rules
    action: ok
  - name: any
    depends_on: [bad, quick, slow]
    trigger_rule: one_success
    agent: rules
    action: ok
    input: "{{ steps.quick.output }}"
  - name: none
    depends_on: [bad, unneeded]
    trigger_rule: one_success
    agent: rules
    action: ok
`,
    );
    const run = await finishRun(suite.db(), { workflow: "rule_one_success" });
    expect(stepStatuses(run)).toEqual({
      bad: "failed",
      quick: "succeeded",
      slow: "succeeded",
      unneeded: "skipped",
      any: "succeeded",
      none: "skipped",
    });
    expect(stepOf(run, "any").output).toEqual({ got: { got: { q: true } } });
    // Decided on the first success: it finished while `slow` was still sleeping.
    expect(Date.parse(stepOf(run, "any").finishedAt ?? "")).toBeLessThan(
      Date.parse(stepOf(run, "slow").finishedAt ?? ""),
    );
    expect(run.status).toBe("failed");
  });
});
