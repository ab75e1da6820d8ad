/**
 * An http step whose host resolves to a refused address fails at once (one attempt, no retry)
 * with an error naming the outbound policy, and the address is never connected to.
 */
import dns, { type LookupAddress } from "node:dns";
import { afterEach, expect, it, vi } from "vitest";
import { startRun } from "@/engine/start-run";
import { describeDb } from "../../helpers/db";
import { register, runUntilDone, stepOf } from "../../helpers/engine";

afterEach(() => vi.restoreAllMocks());

describeDb("http steps under the outbound policy", (suite) => {
  it("fails the step without retrying, naming the policy, when the host resolves to cloud metadata", async () => {
    const lookups: string[] = [];
    vi.spyOn(dns, "lookup").mockImplementation(((host: string, options: unknown, callback: unknown) => {
      lookups.push(host);
      const cb = (typeof options === "function" ? options : callback) as (
        e: Error | null,
        a: string | LookupAddress[],
        f?: number,
      ) => void;
      const all = typeof options === "object" && options !== null && (options as { all?: boolean }).all;
      setImmediate(() =>
        all ? cb(null, [{ address: "100.100.100.200", family: 4 }]) : cb(null, "100.100.100.200", 4),
      );
    }) as never);
    await register(
      suite.db(),
      `
name: outbound_refused
steps:
  - name: fetch_metadata
    retry: { max_attempts: 5, initial_interval: 10ms }
    http: { url: "http://metadata.example/latest/meta-data", method: GET }
`,
    );
    const run = await runUntilDone(suite.db(), (await startRun(suite.db(), { workflow: "outbound_refused" })).id);
    expect(run.status).toBe("failed");
    const step = stepOf(run, "fetch_metadata");
    expect(step.attempts).toBe(1);
    expect(JSON.stringify(step.error)).toMatch(
      /outbound policy: host \\"metadata\.example\\" resolves to 100\.100\.100\.200, which is in a refused range \(shared address space/,
    );
    expect(lookups).toEqual(["metadata.example"]);
  });
});
