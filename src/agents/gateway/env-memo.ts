/**
 * The gateway reads its configuration on every agent call; parsing the whole environment with
 * zod each time costs more than the call's own bookkeeping. This keeps the last result per
 * reader, recomputed only when one of the variables it depends on changes (tests change them
 * at run time; a deployment never does).
 */
export function memoOnEnv<T>(names: readonly string[], compute: () => T): () => T {
  let key: string | undefined;
  let value: T;
  return () => {
    const current = names.map((n) => process.env[n] ?? "\u0000").join("\u0001");
    if (current !== key) {
      value = compute();
      key = current;
    }
    return value;
  };
}
