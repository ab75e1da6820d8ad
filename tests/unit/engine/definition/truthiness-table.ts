/**
 * One table of values and what the definition format's truthiness rule makes of each, shared by
 * the unit test of `isTruthy` and the database test of the three places that judge a template's
 * result (`when`, `wait_for_event.match`, trigger `filter`).
 */
export interface TruthinessCase {
  label: string;
  /** The value put where the template reads; absent for "missing path". */
  value?: unknown;
  missing?: true;
  truthy: boolean;
}

export const TRUTHINESS_TABLE: readonly TruthinessCase[] = [
  { label: "true", value: true, truthy: true },
  { label: "false", value: false, truthy: false },
  { label: "1", value: 1, truthy: true },
  { label: "0", value: 0, truthy: true },
  { label: '""', value: "", truthy: false },
  { label: '"false"', value: "false", truthy: true },
  { label: '"0"', value: "0", truthy: true },
  { label: '"yes"', value: "yes", truthy: true },
  { label: "null", value: null, truthy: false },
  { label: "[]", value: [], truthy: false },
  { label: "[0]", value: [0], truthy: true },
  { label: "{}", value: {}, truthy: false },
  { label: "{a: 1}", value: { a: 1 }, truthy: true },
  { label: "missing path", missing: true, truthy: false },
];

/** `{ v: value }`, or `{}` for the missing-path case. */
export function dataOf(c: TruthinessCase): Record<string, unknown> {
  return c.missing ? {} : { v: c.value };
}
