/**
 * Secret references of `http` steps: a header value may contain `${secret:NAME}`, replaced at
 * call time by the value of the environment variable `HTTP_SECRET_<NAME>`, so a credential never
 * has to be written into a definition (which viewers read).
 *
 * Decisions:
 * - Names are `[A-Z][A-Z0-9_]{0,63}` and map to variables with the fixed prefix HTTP_SECRET_, so
 *   a definition can reach these secrets only, never the platform's own (ADMIN_API_KEY, …).
 * - Headers only: the URL and the body are stored as the step's input and quoted in errors.
 * - A header holding a reference is static text (no `{{ }}` in it), and the step's URL must
 *   write its scheme and host out: a run's input can then neither build a reference nor send
 *   the secret to a host of its choosing. A `${secret:…}` that a template produces is data, sent
 *   as it is.
 * - The variable must be set when the definition is registered (the deploy's workflows:sync
 *   runs with the same environment), and is read again at each call: unset then, the step fails
 *   without retrying, naming the variable.
 * - The value exists only in the outgoing request: the step's stored input keeps the reference,
 *   and the value is replaced by `[secret:NAME]` in the output and in error messages and details
 *   (a receiver that echoes the header gets it back masked).
 */
import type { EnvSource } from "@/integrations/outbound/policy";
import { hasTemplate } from "./template-parse";

export const SECRET_ENV_PREFIX = "HTTP_SECRET_";
export const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
/** `${secret:NAME}`; a looser inner part so a bad name is reported rather than ignored. */
const SECRET_REF = /\$\{secret:([^}]*)\}/g;

/** The names referenced in a header value, in order (repeats kept). */
export function secretRefsIn(text: string): string[] {
  return [...text.matchAll(SECRET_REF)].map((m) => m[1] ?? "");
}

export function secretVariable(name: string): string {
  return `${SECRET_ENV_PREFIX}${name}`;
}

/** The value of a secret, or undefined when its variable is unset or empty. */
export function secretValue(name: string, env: EnvSource): string | undefined {
  if (!SECRET_NAME.test(name)) return undefined;
  const value = env[secretVariable(name)];
  return value === undefined || value === "" ? undefined : value;
}

/** Replaces every reference in `text` by its value; throws on an unset or malformed name. */
export function substituteSecrets(
  text: string,
  env: EnvSource,
): { text: string; used: { name: string; value: string }[] } {
  const used: { name: string; value: string }[] = [];
  const out = text.replace(SECRET_REF, (_, name: string) => {
    const value = secretValue(name, env);
    if (value === undefined) throw new Error(unknownSecretMessage(name));
    used.push({ name, value });
    return value;
  });
  return { text: out, used };
}

export function unknownSecretMessage(name: string): string {
  if (!SECRET_NAME.test(name))
    return `secret reference \${secret:${name.slice(0, 70)}}: a name is A-Z, 0-9 and _, starting with a letter`;
  return `unknown secret "${name}": set the environment variable ${secretVariable(name)}`;
}

/**
 * Registration-time problems of an http step's secret references, as [path suffix, message].
 * `urlHostIsStatic`: the URL's scheme and host are written out (no template before the path).
 */
export function secretRefProblems(
  headers: Record<string, string>,
  urlHostIsStatic: boolean,
  env: EnvSource,
): [string, string][] {
  const problems: [string, string][] = [];
  let anyRef = false;
  for (const [header, value] of Object.entries(headers)) {
    const names = secretRefsIn(value);
    if (names.length === 0) continue;
    anyRef = true;
    const path = `headers.${header}`;
    if (hasTemplate(value))
      problems.push([path, "a header with a secret reference must be plain text: no {{ }} templates in it"]);
    for (const name of new Set(names))
      if (secretValue(name, env) === undefined) problems.push([path, unknownSecretMessage(name)]);
  }
  if (anyRef && !urlHostIsStatic) {
    problems.push([
      "url",
      "a step that sends a secret must write its URL's scheme and host out (templates only after the host), so no input can send the secret elsewhere",
    ]);
  }
  return problems;
}
