import { describe, expect, it } from "vitest";
import { isConflict, retryOnConflict } from "@/engine/complete";

const deadlock = () =>
  Object.assign(new Error("Failed query: update steps …"), {
    cause: Object.assign(new Error("deadlock detected"), { code: "40P01" }),
  });

describe("completion transactions aborted by Postgres", () => {
  it("recognises a deadlock or a serialization failure, also as the cause of a driver error, and nothing else", () => {
    expect(isConflict(deadlock())).toBe(true);
    expect(isConflict(Object.assign(new Error("could not serialize"), { code: "40001" }))).toBe(true);
    expect(isConflict(Object.assign(new Error("unique violation"), { code: "23505" }))).toBe(false);
    expect(isConflict(new Error("plain"))).toBe(false);
    expect(isConflict(null)).toBe(false);
  });

  it("runs a deadlock victim again until it commits, and gives up after four tries", async () => {
    let calls = 0;
    await expect(retryOnConflict(async () => (++calls < 3 ? Promise.reject(deadlock()) : "committed"))).resolves.toBe(
      "committed",
    );
    expect(calls).toBe(3);
    calls = 0;
    await expect(retryOnConflict(async () => (++calls, Promise.reject(deadlock())))).rejects.toThrow(/Failed query/);
    expect(calls).toBe(4);
  });

  it("does not retry any other error", async () => {
    let calls = 0;
    await expect(retryOnConflict(async () => Promise.reject(new Error(`boom ${++calls}`)))).rejects.toThrow("boom 1");
    expect(calls).toBe(1);
  });
});
