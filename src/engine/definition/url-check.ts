/**
 * The static part of an http step's URL check. A URL may hold templates; when its scheme and
 * host are written out (`https://api.example.com/orders/{{ input.id }}`) the host is checked
 * now, and when the host itself comes from a template it is accepted here and the executor
 * checks the rendered URL with assertHttpHostAllowed.
 */
import { type EnvSource, HttpHostError, assertHttpHostAllowed } from "./hosts";
import { splitTemplates } from "./template-parse";

/** Up to the end of the authority (`scheme://host:port`), when that part has no template. */
const STATIC_AUTHORITY = /^([a-z][a-z0-9+.-]*):\/\/[^/?#]*(?=[/?#])/i;

/** A problem with the URL as written, or undefined when it is fine (or only checkable later). */
export function checkUrlStatically(url: string, env: EnvSource): string | undefined {
  const split = splitTemplates(url);
  // An unterminated template is reported by the template checks.
  if (!split.ok) return undefined;
  const first = split.parts[0];
  const hasTemplate = split.parts.some((part) => part.type === "template");
  if (!hasTemplate) return hostProblem(url, env);
  const prefix = first?.type === "text" ? first.text : "";
  const authority = STATIC_AUTHORITY.exec(prefix);
  if (authority) return hostProblem(`${authority[0]}/`, env);
  const lower = prefix.toLowerCase();
  const partialScheme = "http://".startsWith(lower) || "https://".startsWith(lower) || /^https?:\/\//.test(lower);
  return partialScheme ? undefined : "must start with http:// or https:// (or be a template)";
}

/** The URL's scheme and host are written out: no template before its path. */
export function hasStaticAuthority(url: string): boolean {
  const split = splitTemplates(url);
  if (!split.ok) return false;
  if (!split.parts.some((part) => part.type === "template")) return true;
  const first = split.parts[0];
  return first?.type === "text" && STATIC_AUTHORITY.test(first.text);
}

function hostProblem(url: string, env: EnvSource): string | undefined {
  try {
    assertHttpHostAllowed(url, env);
    return undefined;
  } catch (error) {
    if (error instanceof HttpHostError) return error.message;
    throw error;
  }
}
