/**
 * Free-form values in definitions (`input`, `body`, `data`, `output`) must be plain JSON: they are
 * stored as jsonb, hashed as canonical JSON and written back as YAML, so anything else (NaN,
 * undefined, class instances, cycles) would break one of those round trips.
 */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };

/** Deeper than this is junk or an attack, not a workflow (and would risk the stack later). */
export const MAX_JSON_DEPTH = 64;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export type PathSegment = string | number;
export interface JsonIssue {
  path: PathSegment[];
  message: string;
}

/**
 * A normalized copy of a JSON value (-0 becomes 0; objects get a fresh plain prototype),
 * or undefined with issues pushed when the value is not plain JSON.
 */
export function copyJson(
  value: unknown,
  issues: JsonIssue[],
  path: PathSegment[] = [],
  depth = 0,
): JsonValue | undefined {
  if (depth > MAX_JSON_DEPTH) {
    issues.push({ path, message: `nested more than ${MAX_JSON_DEPTH} levels deep` });
    return undefined;
  }
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (Number.isFinite(value)) return value === 0 ? 0 : value;
    issues.push({ path, message: `${String(value)} is not a JSON number` });
    return undefined;
  }
  if (Array.isArray(value)) {
    const items = value.map((item, index) => copyJson(item, issues, [...path, index], depth + 1));
    return items.every((item) => item !== undefined) ? (items as JsonValue[]) : undefined;
  }
  if (isPlainObject(value)) {
    // An undefined property is absent, as in JSON.stringify; JS callers build objects that way.
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => [key, copyJson(item, issues, [...path, key], depth + 1)] as const);
    if (entries.some(([, item]) => item === undefined)) return undefined;
    // fromEntries defines own properties, so a "__proto__" key stays data instead of a prototype.
    return Object.fromEntries(entries) as { [key: string]: JsonValue };
  }
  issues.push({ path, message: `${describe(value)} is not a JSON value` });
  return undefined;
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "object") return `an object of type ${value?.constructor?.name ?? "unknown"}`;
  return `a ${typeof value}`;
}
