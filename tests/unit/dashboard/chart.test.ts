import { describe, expect, it } from "vitest";
import { linePath, niceCeiling, yMaxOf, yTicks, type ChartBox } from "@/dashboard/chart";

const BOX: ChartBox = { width: 100, height: 50, padLeft: 0, padRight: 0, padTop: 0, padBottom: 0 };

describe("niceCeiling / yMaxOf", () => {
  it("rounds the top of the axis up to 1, 2, 2.5 or 5 × 10ⁿ", () => {
    expect([0.7, 1, 1.3, 2.2, 3, 7, 12, 480, 1000, 1001].map(niceCeiling)).toEqual([
      1, 1, 2, 2.5, 5, 10, 20, 500, 1000, 2000,
    ]);
  });
  it("is 1 for empty or all-null series, never 0 (no division by zero)", () => {
    expect(yMaxOf([])).toBe(1);
    expect(yMaxOf([[null, null]])).toBe(1);
    expect(
      yMaxOf([
        [1, 40],
        [null, 90],
      ]),
    ).toBe(100);
  });
});

describe("linePath", () => {
  it("maps values to x evenly and y from the bottom", () => {
    expect(linePath([0, 50, 100], 100, BOX)).toBe("M0 50 L50 25 L100 0");
  });

  it("breaks the line at a null (no data) instead of dropping it to zero", () => {
    expect(linePath([10, 20, null, 30, 40], 40, BOX)).toBe("M0 37.5 L25 25 M75 12.5 L100 0");
  });

  it("draws a lone point between gaps as a zero-length segment", () => {
    expect(linePath([null, 20, null], 40, BOX)).toBe("M50 25 h0");
  });

  it("clamps values above the axis top", () => {
    expect(linePath([200], 100, BOX)).toBe("M50 0 h0");
  });

  it("is empty when there is no data", () => {
    expect(linePath([null, null], 10, BOX)).toBe("");
  });
});

describe("yTicks", () => {
  it("labels 0, the middle and the top", () => {
    expect(yTicks(200, BOX)).toEqual([
      { value: 0, y: 50 },
      { value: 100, y: 25 },
      { value: 200, y: 0 },
    ]);
  });
});
