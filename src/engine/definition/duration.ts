/**
 * Durations as written in definitions: an integer and one unit, `"500ms"`, `"30s"`, `"5m"`,
 * `"2h"`, `"1d"`. One unit only (no `"1h30m"`) keeps them unambiguous and easy to write back.
 */
import { z } from "zod";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type DurationUnit = keyof typeof UNIT_MS;

const DURATION = /^(\d{1,15})(ms|s|m|h|d)$/;

/** The longest duration a definition may hold: a timer or timeout beyond this is a mistake. */
export const MAX_DURATION_MS = 30 * UNIT_MS.d;

export class DurationError extends Error {
  readonly code = "invalid_duration" as const;
}

/**
 * Milliseconds of a duration text; throws DurationError for a bad format, zero, or more than 30 days.
 * @example parseDuration("5m") // 300000
 */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text);
  if (!match) {
    throw new DurationError(
      `invalid duration ${JSON.stringify(text)}: expected a whole number and a unit (ms, s, m, h, d), e.g. "30s"`,
    );
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] as DurationUnit];
  if (ms === 0) throw new DurationError(`duration ${JSON.stringify(text)} must be greater than zero`);
  if (ms > MAX_DURATION_MS) throw new DurationError(`duration ${JSON.stringify(text)} exceeds the maximum of 30d`);
  return ms;
}

/** The shortest text for a number of milliseconds, using the largest unit that divides it. */
export function formatDuration(ms: number): string {
  const units: DurationUnit[] = ["d", "h", "m", "s"];
  for (const unit of units) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/** A duration field: validates the text and yields milliseconds. */
export const durationSchema = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (error) {
    ctx.issues.push({ code: "custom", message: (error as Error).message, input: text });
    return z.NEVER;
  }
});
