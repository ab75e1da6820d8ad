/**
 * The one truthiness rule of the definition format. A `when`, a `wait_for_event.match` and a
 * trigger `filter` each render a single template and ask "is this true?"; all three answer
 * with this function, so one table of values means the same thing everywhere.
 *
 * Decision: JMESPath's own truthiness (the spec's "false-like" values), because the expressions
 * are JMESPath and its `!`, `&&`, `||`, `?:` and filters already judge values this way: a
 * condition `{{ a && b }}` must not be true where `{{ !(a && b) }}` is also true. So false,
 * null, "" (empty string), [] (empty array) and {} (empty object) are false, and so is a path
 * that reads nothing (it renders null). Everything else is true, including 0 and the strings
 * "false" and "0": JMESPath has no coercion from numbers or text, and a rule that read "false"
 * as false would make `{{ input.flag }}` mean different things for `false` and `"false"` than
 * `{{ input.flag == \`true\` }}` does. Authors who mean a number or a word write it out:
 * `{{ input.count > \`0\` }}`, `{{ input.flag == 'yes' }}`.
 */
export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}
