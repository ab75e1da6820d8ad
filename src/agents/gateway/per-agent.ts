/**
 * The gateway's per-agent settings (`AGENT_RATE_LIMITS=design-ia=10/s,ads=2/m`,
 * `AGENT_CONCURRENCY=design-ia=8`): comma-separated `agent=value` entries, each value read by the
 * setting's own parser. A malformed entry is a configuration error naming the variable.
 */
export function parsePerAgent<T>(
  variable: string,
  text: string | undefined,
  like: string,
  parseValue: (raw: string) => T | undefined,
): Map<string, T> {
  const settings = new Map<string, T>();
  for (const part of (text ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([a-z][a-z0-9-]*)\s*=\s*(.+)$/.exec(part);
    const value = m ? parseValue(m[2]!) : undefined;
    if (value === undefined) throw new Error(`${variable}: "${part}" is not like ${like}`);
    settings.set(m![1]!, value);
  }
  return settings;
}
