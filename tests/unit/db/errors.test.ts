import { describe, expect, it } from "vitest";
import { causeChain, classifyDatabaseError, hasSqlState, SQLSTATE } from "@/db/errors";

function driverError(code: string): Error {
  return Object.assign(new Error(`driver failure ${code}`), { code });
}

function drizzleWrapped(cause: unknown): Error {
  return new Error("Failed query: select 1", { cause });
}

describe("causeChain", () => {
  it("lists the error and its causes, outermost first", () => {
    const inner = driverError("23505");
    const outer = drizzleWrapped(inner);
    expect(causeChain(outer)).toEqual([outer, inner]);
    expect(causeChain(null)).toEqual([]);
  });

  it("ends a cyclic chain", () => {
    const a = new Error("a");
    (a as { cause?: unknown }).cause = new Error("b", { cause: a });
    expect(causeChain(a).length).toBe(10);
  });
});

describe("hasSqlState", () => {
  it("finds a SQLSTATE on the error or any of its causes", () => {
    expect(hasSqlState(driverError("23505"), SQLSTATE.uniqueViolation)).toBe(true);
    expect(hasSqlState(drizzleWrapped(drizzleWrapped(driverError("40P01"))), "40P01", "40001")).toBe(true);
    expect(hasSqlState(drizzleWrapped(driverError("23503")), SQLSTATE.uniqueViolation)).toBe(false);
    expect(hasSqlState("23505", SQLSTATE.uniqueViolation)).toBe(false);
  });
});

describe("classifyDatabaseError", () => {
  it("calls an unreachable database unreachable, and refused input a 400 or 409", () => {
    expect(classifyDatabaseError(drizzleWrapped(driverError("ECONNREFUSED")))).toMatchObject({
      error: { code: "database_unavailable", status: 503 },
      unreachable: true,
    });
    expect(classifyDatabaseError(drizzleWrapped(driverError("22001")))).toMatchObject({
      error: { code: "validation_failed", status: 400 },
      unreachable: false,
    });
    expect(classifyDatabaseError(driverError("23503"))).toMatchObject({
      error: { code: "conflict", status: 409 },
      unreachable: false,
    });
  });

  it("leaves any other error unclassified, a code named like an Object method included", () => {
    expect(classifyDatabaseError(driverError("42P01"))).toBeUndefined();
    expect(classifyDatabaseError(driverError("toString"))).toBeUndefined();
    expect(classifyDatabaseError(new Error("boom"))).toBeUndefined();
  });
});
