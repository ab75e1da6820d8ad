/**
 * A run finishes on the definition version it started with: a new version registered while the
 * run is mid-way (one step done, one waiting) changes nothing for it, and new runs take the new
 * version. Real database, real engine ticks.
 */
import { expect, it } from "vitest";
import { publishEvent } from "@/engine/events";
import { getRun } from "@/engine/runs";
import { startRun } from "@/engine/start-run";
import { describeDb } from "../../helpers/db";
import { register, runUntilDone, stepOf, tickUntilStep } from "../../helpers/engine";

const V1 = `
name: pinned
steps:
  - name: prepare
    emit: { topic: pinned.prepared, data: { version: "{{ run.version }}" } }
  - name: gate
    depends_on: prepare
    wait_for_event: { topic: pinned.go, timeout: 10m }
  - name: finish
    depends_on: gate
    emit: { topic: pinned.v1, data: { version: "{{ run.version }}", from: v1 } }
`;

// Version 2 changes the step after the wait, renames nothing it keeps, and adds a step.
const V2 = `
name: pinned
steps:
  - name: prepare
    emit: { topic: pinned.prepared, data: { version: "{{ run.version }}" } }
  - name: gate
    depends_on: prepare
    wait_for_event: { topic: pinned.go, timeout: 10m }
  - name: finish
    depends_on: gate
    emit: { topic: pinned.v2, data: { version: "{{ run.version }}", from: v2 } }
  - name: extra
    depends_on: finish
    emit: { topic: pinned.extra }
`;

describeDb("version pinning", (suite) => {
  it("finishes a run on its original version's steps when a new version is registered mid-run", async () => {
    expect(await register(suite.db(), V1)).toBe(1);
    const { id } = await startRun(suite.db(), { workflow: "pinned" });
    const midway = await tickUntilStep(suite.db(), id, "gate", "waiting");
    expect(stepOf(midway, "prepare").status).toBe("succeeded");
    expect(stepOf(midway, "gate").status).toBe("waiting");

    expect(await register(suite.db(), V2)).toBe(2);
    await publishEvent(suite.db(), { topic: "pinned.go", data: {}, source: "test" });
    const run = await runUntilDone(suite.db(), id);

    expect(run.status).toBe("succeeded");
    expect(run.version).toBe(1);
    expect(run.steps.map((s) => s.name).sort()).toEqual(["finish", "gate", "prepare"]);
    expect(stepOf(run, "finish").input).toEqual({ topic: "pinned.v1", data: { version: 1, from: "v1" } });

    // A run started now takes version 2, with its added step.
    const fresh = await getRun(suite.db(), (await startRun(suite.db(), { workflow: "pinned" })).id);
    expect(fresh.version).toBe(2);
    expect(fresh.steps.map((s) => s.name).sort()).toEqual(["extra", "finish", "gate", "prepare"]);
  });
});
