import { describe, expect, it } from "vitest";
import { DurationError, durationSchema, formatDuration, parseDuration } from "@/engine/definition";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
    ["30d", 30 * 86_400_000],
    ["1ms", 1],
  ])("reads %s as %i milliseconds", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["0s", "0ms", "000m"])("rejects the zero duration %s", (text) => {
    expect(() => parseDuration(text)).toThrow(/greater than zero/);
  });

  it.each(["31d", "721h", "2592000001ms"])("rejects %s, longer than 30 days", (text) => {
    expect(() => parseDuration(text)).toThrow(/exceeds the maximum of 30d/);
  });

  it.each(["", "30", "s", "1.5s", "-1s", "30 s", " 30s", "1h30m", "1w", "1S", "1e3ms", "99999999999999999999d"])(
    "rejects the malformed text %j with a DurationError",
    (text) => {
      expect(() => parseDuration(text)).toThrow(DurationError);
    },
  );
});

describe("formatDuration", () => {
  it.each([
    [500, "500ms"],
    [1_500, "1500ms"],
    [30_000, "30s"],
    [90_000, "90s"],
    [300_000, "5m"],
    [7_200_000, "2h"],
    [86_400_000, "1d"],
  ])("writes %i ms as %s, the largest exact unit", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("round-trips through parseDuration for every valid duration", () => {
    for (const ms of [1, 999, 1_000, 61_000, 3_600_000, 86_400_000 * 7, 30 * 86_400_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});

describe("durationSchema", () => {
  it("yields milliseconds for a valid duration and an issue with the reason otherwise", () => {
    expect(durationSchema.parse("2h")).toBe(7_200_000);
    const result = durationSchema.safeParse("2 hours");
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/invalid duration "2 hours"/);
    expect(durationSchema.safeParse(30).success).toBe(false);
  });
});
