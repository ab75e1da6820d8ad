/**
 * Raw rows come back from the three drivers in slightly different shapes (pg returns bigint
 * as text, PGlite as number; timestamps from `execute` are text). These helpers normalise.
 */
export function toNumber(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}

export function toIso(value: unknown): string | null {
  return toDate(value)?.toISOString() ?? null;
}

/** JSON columns: drivers parse jsonb, but a value that went through `::text` would not be. */
export function toJson(value: unknown): unknown {
  return value === undefined ? null : value;
}
