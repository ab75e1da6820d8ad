/**
 * The outbound policy: what any third-party call the platform makes may reach.
 *
 * - http or https only;
 * - the host must be public: a literal IP address is checked against the refused ranges
 *   (addresses.ts), `localhost` and `*.localhost` are loopback by definition, and a name is
 *   checked by the addresses it resolves to at connection time (fetch.ts: the address checked
 *   is the address connected to, so DNS rebinding gains nothing);
 * - one exception mechanism: HTTP_STEP_ALLOWED_HOSTS, a comma-separated list of exact host names
 *   or IP addresses (no wildcards, no ranges) that may be called whatever they are or resolve
 *   to. It is the operator's explicit decision, so it is honoured everywhere, production
 *   included (a self-hosted platform may call an ERP on 10.0.0.5); nothing else lifts the policy
 *   (no test flag). Tests and local development list 127.0.0.1 there.
 *
 * Not under this policy (they are not third-party calls): self-calls to the app's own base URL
 * (src/integrations/self-call.ts) and the built-in supplier simulator that local mode starts on loopback
 * when no SUPPLIER_API_URL is configured (never in production).
 */
import { isIP } from "node:net";
import { addressRefusal, type RefusedRange } from "./addresses";

/** `process.env` or any map of variables. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

export const ALLOW_LIST_VARIABLE = "HTTP_STEP_ALLOWED_HOSTS";

export type OutboundRefusal = "invalid_url" | "scheme" | "address";

/** A call the outbound policy refuses. The message names the policy and the range, never a credential. */
export class OutboundRefused extends Error {
  readonly code = "outbound_refused" as const;
  constructor(
    readonly reason: OutboundRefusal,
    message: string,
    readonly range?: RefusedRange,
  ) {
    super(message);
    this.name = "OutboundRefused";
  }
}

/** The allow-list, read at call time (serverless runtimes may inject the environment per request). */
export function allowedHosts(env: EnvSource = process.env): Set<string> {
  const raw = env[ALLOW_LIST_VARIABLE] ?? "";
  return new Set(
    raw
      .split(",")
      .map((entry) => canonicalEntry(entry.trim()))
      .filter((entry) => entry !== ""),
  );
}

/** The allow-list names this host (a name or a literal), so it may be called whatever it resolves to. */
export function isHostAllowed(hostname: string, env: EnvSource = process.env): boolean {
  return allowedHosts(env).has(normalizeHost(hostname));
}

/** Lower case, no brackets, no trailing dot: the form hosts are compared in. */
export function normalizeHost(hostname: string): string {
  return hostname
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "")
    .toLowerCase();
}

/** Writes an allow-list entry the way the URL parser writes hosts (`::0:1` → `::1`, case). */
function canonicalEntry(entry: string): string {
  if (entry === "") return "";
  const bare = entry.replace(/^\[(.*)\]$/, "$1");
  try {
    return normalizeHost(new URL(`http://${isIP(bare) === 6 ? `[${bare}]` : bare}/`).hostname);
  } catch {
    return normalizeHost(bare.toLowerCase());
  }
}

/** Why a host as written (a name or a literal address) is refused, or undefined when it may be tried. */
export function hostRefusal(hostname: string): RefusedRange | undefined {
  const host = normalizeHost(hostname);
  if (host === "localhost" || host.endsWith(".localhost")) return { cidr: "localhost", label: "loopback" };
  return addressRefusal(host);
}

/** The message of a refused address, naming the policy and the way out. */
export function refusalMessage(host: string, address: string | undefined, range: RefusedRange): string {
  const where =
    address && address !== normalizeHost(host)
      ? `host "${normalizeHost(host)}" resolves to ${address}, which is`
      : `host "${normalizeHost(host)}" is`;
  const cidr = range.cidr === "localhost" ? "" : ` ${range.cidr}`;
  return `outbound policy: ${where} in a refused range (${range.label}${cidr}); only public addresses may be called unless the host is listed in ${ALLOW_LIST_VARIABLE}`;
}

/**
 * The static half of the policy: the URL parses, is http(s), and its host as written is not
 * refused (unless allowed). Returns the parsed URL; throws OutboundRefused.
 * @example checkOutboundUrl("http://169.254.169.254/latest/meta-data") // throws: link-local
 */
export function checkOutboundUrl(url: string | URL, env: EnvSource = process.env): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OutboundRefused(
      "invalid_url",
      `outbound policy: ${JSON.stringify(String(url)).slice(0, 200)} is not a valid URL`,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new OutboundRefused(
      "scheme",
      `outbound policy: only http and https URLs may be called, not ${parsed.protocol}`,
    );
  }
  const range = hostRefusal(parsed.hostname);
  if (range && !isHostAllowed(parsed.hostname, env)) {
    throw new OutboundRefused("address", refusalMessage(parsed.hostname, undefined, range), range);
  }
  return parsed;
}
