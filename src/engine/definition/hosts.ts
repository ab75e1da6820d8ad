/**
 * Which hosts an `http` step may call. Loopback, private, link-local and unspecified addresses
 * are refused unless listed in HTTP_STEP_ALLOWED_HOSTS, so a definition cannot reach the
 * platform's own network (SSRF). This is a check on the URL as written; the executor also checks
 * the addresses a host name resolves to (kinds/http.ts), since DNS can point a public name at
 * 127.0.0.1.
 */
import { isIP } from "node:net";

/** `process.env` or any map of variables (Next's types make NODE_ENV required on ProcessEnv). */
export type EnvSource = Readonly<Record<string, string | undefined>>;

export type HostRefusal = "invalid_url" | "scheme" | "loopback" | "private" | "link_local" | "unspecified";

export class HttpHostError extends Error {
  readonly code = "http_host_not_allowed" as const;
  constructor(
    readonly url: string,
    readonly reason: HostRefusal,
    message: string,
  ) {
    super(message);
    this.name = "HttpHostError";
  }
}

const REASON_TEXT: Record<Exclude<HostRefusal, "invalid_url" | "scheme">, string> = {
  loopback: "a loopback address",
  private: "a private address",
  link_local: "a link-local address",
  unspecified: "an unspecified address",
};

/**
 * Throws HttpHostError unless the URL is http(s) and its host is public or explicitly allowed.
 * Read at call time: serverless runtimes may inject the environment per request.
 * @example assertHttpHostAllowed("http://10.0.0.5/hook", { HTTP_STEP_ALLOWED_HOSTS: "10.0.0.5" })
 */
export function assertHttpHostAllowed(url: string, env: EnvSource = process.env): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HttpHostError(url, "invalid_url", `${JSON.stringify(url)} is not a valid URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new HttpHostError(url, "scheme", `only http and https URLs are allowed, not ${parsed.protocol}`);
  }
  const host = normalizeHost(parsed.hostname);
  const refusal = classifyHost(host);
  if (refusal === undefined || allowedHosts(env).has(host)) return;
  throw new HttpHostError(
    url,
    refusal,
    `host ${JSON.stringify(host)} is ${REASON_TEXT[refusal]}; add it to HTTP_STEP_ALLOWED_HOSTS to allow it`,
  );
}

/**
 * HTTP_STEP_ALLOWED_HOSTS is read directly rather than through readEnv(): a broken unrelated
 * variable must not turn every workflow definition invalid.
 */
function allowedHosts(env: EnvSource): Set<string> {
  const raw = env.HTTP_STEP_ALLOWED_HOSTS ?? "";
  return new Set(raw.split(",").map((entry) => canonicalEntry(entry.trim())).filter((entry) => entry !== ""));
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

/** The allow-list says this host may be called whatever it is or resolves to. */
export function isHostExplicitlyAllowed(hostname: string, env: EnvSource = process.env): boolean {
  return allowedHosts(env).has(normalizeHost(hostname));
}

function normalizeHost(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "").toLowerCase();
}

/** Why a host is refused by default, or undefined for a public host. */
export function classifyHost(host: string): Exclude<HostRefusal, "invalid_url" | "scheme"> | undefined {
  if (host === "localhost" || host.endsWith(".localhost")) return "loopback";
  const version = isIP(host);
  if (version === 4) return classifyIPv4(ipv4Bytes(host));
  if (version === 6) return classifyIPv6(host);
  return undefined;
}

function ipv4Bytes(host: string): number[] {
  return host.split(".").map(Number);
}

function classifyIPv4([a = 0, b = 0]: number[]): Exclude<HostRefusal, "invalid_url" | "scheme"> | undefined {
  if (a === 0) return "unspecified";
  if (a === 127) return "loopback";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private";
  if (a === 169 && b === 254) return "link_local";
  return undefined;
}

function classifyIPv6(host: string): Exclude<HostRefusal, "invalid_url" | "scheme"> | undefined {
  const groups = ipv6Groups(host);
  if (groups === undefined) return undefined;
  const [g0 = 0, , , , , g5 = 0, g6 = 0, g7 = 0] = groups;
  const upperZero = groups.slice(0, 5).every((g) => g === 0);
  // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible (::a.b.c.d) forms reach IPv4 hosts.
  if (upperZero && (g5 === 0xffff || (g5 === 0 && (g6 !== 0 || g7 > 1)))) {
    return classifyIPv4([g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff]);
  }
  if (upperZero && g5 === 0 && g6 === 0) return g7 === 1 ? "loopback" : g7 === 0 ? "unspecified" : undefined;
  if ((g0 & 0xfe00) === 0xfc00) return "private";
  if ((g0 & 0xffc0) === 0xfe80) return "link_local";
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address (with an optional dotted IPv4 tail). */
function ipv6Groups(host: string): number[] | undefined {
  let text = host.replace(/%.*$/, "");
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = ipv4Bytes(v4[1]);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  return [...left, ...new Array<number>(missing).fill(0), ...right];
}
