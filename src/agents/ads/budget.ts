/**
 * Splits a daily budget across campaigns in whole cents, so the parts always add up to the
 * total exactly (no floating-point drift, no cent lost to rounding).
 */

/**
 * Each part gets one cent first (an ad network refuses a zero budget), then the rest is shared
 * by weight with the largest-remainder method: floors first, then the leftover cents go to the
 * largest fractional parts (ties to the earlier part). Needs `totalCents >= weights.length`.
 *
 * @example splitCents(1000, [2, 5, 3]) // → [200, 500, 300]
 */
export function splitCents(totalCents: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(totalCents) || totalCents < weights.length)
    throw new RangeError(`cannot split ${totalCents} cents into ${weights.length} parts`);
  const weightSum = weights.reduce((sum, w) => sum + w, 0);
  if (weights.length === 0 || weights.some((w) => !(w > 0))) throw new RangeError("weights must be positive");
  const rest = totalCents - weights.length;
  const exact = weights.map((w) => (rest * w) / weightSum);
  const parts = exact.map((x) => 1 + Math.floor(x));
  let leftover = totalCents - parts.reduce((sum, p) => sum + p, 0);
  const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (leftover <= 0) break;
    parts[i] = (parts[i] ?? 0) + 1;
    leftover -= 1;
  }
  return parts;
}

/** Euros to whole cents (rounded to the nearest cent). */
export function toCents(eur: number): number {
  return Math.round(eur * 100);
}

export function toEur(cents: number): number {
  return cents / 100;
}
