/**
 * Geometry of the dashboard's line charts (plain inline SVG, no chart library): the y scale with a
 * "nice" top, and each series as SVG path data. Pure, so it is tested on its own.
 *
 * A null value (a bucket without data) breaks the line instead of drawing it at 0: "no calls" and
 * "0 ms" are different facts. A lone point between gaps is drawn as a dot-like zero-length
 * segment (`M x y h 0`), which the stroke's round cap shows.
 */

export interface ChartBox {
  width: number;
  height: number;
  /** Space for the y labels on the left and the x labels below. */
  padLeft: number;
  padBottom: number;
  padTop: number;
  padRight: number;
}

export const DEFAULT_BOX: ChartBox = { width: 600, height: 200, padLeft: 48, padBottom: 22, padTop: 8, padRight: 8 };

/** The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above `value` (so axis labels are round numbers). */
export function niceCeiling(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 1;
  const exponent = Math.floor(Math.log10(value));
  const base = 10 ** exponent;
  for (const m of [1, 2, 2.5, 5, 10]) if (m * base >= value - 1e-9 * base) return m * base;
  return 10 * base;
}

/** The top of the y axis for these series: a nice ceiling of their largest value (1 when empty). */
export function yMaxOf(series: readonly (readonly (number | null)[])[]): number {
  let max = 0;
  for (const values of series) for (const v of values) if (v !== null && Number.isFinite(v) && v > max) max = v;
  return niceCeiling(max);
}

const round = (n: number) => Math.round(n * 10) / 10;

/** SVG path data of one series over `count` evenly spaced x positions, broken at nulls. */
export function linePath(values: readonly (number | null)[], yMax: number, box: ChartBox = DEFAULT_BOX): string {
  const plotW = box.width - box.padLeft - box.padRight;
  const plotH = box.height - box.padTop - box.padBottom;
  const n = values.length;
  const x = (i: number) => round(box.padLeft + (n <= 1 ? plotW / 2 : (i / (n - 1)) * plotW));
  const y = (v: number) => round(box.padTop + plotH - (Math.min(Math.max(v, 0), yMax) / yMax) * plotH);
  const parts: string[] = [];
  let inSegment = false;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      inSegment = false;
      return;
    }
    const next = values[i + 1];
    const lone = !inSegment && (next === undefined || next === null);
    parts.push(`${inSegment ? "L" : "M"}${x(i)} ${y(v)}${lone ? " h0" : ""}`);
    inSegment = true;
  });
  return parts.join(" ");
}

/** y axis ticks: 0, half and the top, with their pixel heights. */
export function yTicks(yMax: number, box: ChartBox = DEFAULT_BOX): { value: number; y: number }[] {
  const plotH = box.height - box.padTop - box.padBottom;
  return [0, 0.5, 1].map((f) => ({ value: yMax * f, y: round(box.padTop + plotH - f * plotH) }));
}
