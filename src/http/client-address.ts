/**
 * The client's address, as the rate limits key it: taken only from a hop we trust, never from
 * what the client says about itself.
 *
 * - On Vercel (`VERCEL` set) the edge sets the client's public address and overwrites any
 *   X-Forwarded-For the client sent (Vercel's request-headers documentation: "we currently
 *   overwrite the X-Forwarded-For header and do not forward external IPs ... to prevent IP
 *   spoofing"). `x-vercel-forwarded-for` is read first (a proxy in front of Vercel may rewrite
 *   X-Forwarded-For, not this one), then `x-real-ip`, then `x-forwarded-for`.
 * - Self-hosted, `TRUSTED_PROXY_COUNT` (default 0) says how many reverse proxies of yours each
 *   append the address they saw to X-Forwarded-For: the client is the entry that many places from
 *   the right; entries left of it are the client's own claims and are ignored. With 0, the entry
 *   `next start` itself wrote from its socket (Next sets X-Forwarded-For to the socket's address
 *   when the request has none), i.e. the last one. Decision: Next keeps a header the client sent
 *   instead of writing the socket's address, so a server reached directly (no proxy) cannot tell
 *   the two apart; the limits then rest on the all-addresses ceiling (src/db/rate-limit.ts), and
 *   a deployment that faces the internet should sit behind a proxy and set TRUSTED_PROXY_COUNT.
 * - `x-real-ip` is trusted only on Vercel: elsewhere nothing guarantees who set it.
 *
 * The key is the address normalised: IPv4 as dotted quad, IPv4-mapped IPv6 as IPv4, and IPv6 cut
 * to its /64 (one subscriber gets a whole /64, so per-address IPv6 limits would be per-attacker-
 * chosen address otherwise). Anything that is not an IP address is `unknown`, so a client cannot
 * mint bucket keys with junk.
 */
import { isIPv4 } from "node:net";
import { readEnv } from "@/env";
import { parseIp } from "@/integrations/outbound/addresses";

export const UNKNOWN_ADDRESS = "unknown";

/** The header-derived address of a request, normalised (see the file's comment). */
export function clientAddress(source: Request | Headers, env: NodeJS.ProcessEnv = process.env): string {
  const headers = source instanceof Request ? source.headers : source;
  const raw = env.VERCEL?.trim() ? vercelAddress(headers) : forwardedAddress(headers, trustedProxyCount(env));
  return normaliseAddress(raw ?? "");
}

function trustedProxyCount(env: NodeJS.ProcessEnv): number {
  try {
    return readEnv(env).TRUSTED_PROXY_COUNT;
  } catch {
    // A broken unrelated variable must not open the limits: the safest reading is "no proxy".
    return 0;
  }
}

function firstEntry(value: string | null): string | undefined {
  const first = value?.split(",")[0]?.trim();
  return first || undefined;
}

function vercelAddress(headers: Headers): string | undefined {
  return (
    firstEntry(headers.get("x-vercel-forwarded-for")) ??
    firstEntry(headers.get("x-real-ip")) ??
    firstEntry(headers.get("x-forwarded-for"))
  );
}

/** The entry `proxies` places from the right (0: the last one, written by `next start`). */
function forwardedAddress(headers: Headers, proxies: number): string | undefined {
  const entries = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  if (entries.length === 0) return undefined;
  const index = entries.length - Math.max(1, proxies);
  // Fewer entries than trusted proxies: the request did not come through them all (someone
  // reached a proxy from inside, or the count is wrong). Its leftmost entry is still a hop's.
  return entries[Math.max(0, index)];
}

/** Strips brackets and a port: `[2001:db8::1]:443` → `2001:db8::1`, `203.0.113.5:1234` → `203.0.113.5`. */
function stripPort(value: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1]!;
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(value);
  return v4WithPort ? v4WithPort[1]! : value;
}

/** The rate-limit key of an address (see the file's comment). */
export function normaliseAddress(value: string): string {
  const address = stripPort(value.trim());
  if (isIPv4(address)) return address;
  // A bracket that stripPort left is junk (a zone holding `]`): parseIp would unwrap it.
  const parsed = address.startsWith("[") ? undefined : parseIp(address);
  if (parsed?.version !== 6) return UNKNOWN_ADDRESS;
  const hextet = (index: number) => Number((parsed.value >> BigInt(16 * (7 - index))) & 0xffffn);
  // ::ffff:a.b.c.d is an IPv4 client seen through a dual-stack socket.
  if (parsed.value >> 32n === 0xffffn)
    return `${hextet(6) >> 8}.${hextet(6) & 0xff}.${hextet(7) >> 8}.${hextet(7) & 0xff}`;
  return `${[0, 1, 2, 3].map((i) => hextet(i).toString(16)).join(":")}::/64`;
}
