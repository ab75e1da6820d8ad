/**
 * Which IP addresses an outbound call may never reach (SSRF): one table for every caller (http
 * steps, outgoing webhooks, verify_deployment's probes, the supplier, Slack) and for the static
 * check of workflow definitions. Pure: no I/O, no configuration.
 *
 * IPv4: the special-purpose ranges of the IANA registry that are not globally reachable, plus
 * shared address space (100.64.0.0/10: carrier-grade NAT, and cloud metadata endpoints such as
 * Alibaba's 100.100.100.200), benchmarking (198.18.0.0/15), multicast and the reserved block.
 *
 * IPv6 is an allow-list: only global unicast (2000::/3) is reachable, less the special blocks
 * inside it. So loopback, unspecified, unique-local (fc00::/7), link-local, the deprecated
 * site-local fec0::/10, multicast and every IPv4-embedding form outside 2000::/3 are refused.
 * Decision: IPv4-embedding prefixes (IPv4-mapped ::ffff:0:0/96, IPv4-translated ::ffff:0:0:0/96,
 * IPv4-compatible ::/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16, Teredo
 * 2001::/32) are refused whole, whatever IPv4 address they carry: the packet would be handed to a
 * translator we cannot see, and an honest public service publishes its native address.
 */
import { isIP } from "node:net";

export interface RefusedRange {
  /** The range, in CIDR notation (`100.64.0.0/10`). */
  cidr: string;
  /** What it is, for error messages (`shared address space (carrier-grade NAT)`). */
  label: string;
}

interface Range extends RefusedRange {
  version: 4 | 6;
  network: bigint;
  prefix: number;
}

const IPV4_REFUSED: readonly [string, string][] = [
  ["0.0.0.0/8", '"this network" (unspecified)'],
  ["10.0.0.0/8", "private (RFC 1918)"],
  ["100.64.0.0/10", "shared address space (carrier-grade NAT, cloud metadata)"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local (cloud metadata)"],
  ["172.16.0.0/12", "private (RFC 1918)"],
  ["192.0.0.0/24", "IETF protocol assignments"],
  ["192.0.2.0/24", "documentation (TEST-NET-1)"],
  ["192.88.99.0/24", "6to4 relay anycast"],
  ["192.168.0.0/16", "private (RFC 1918)"],
  ["198.18.0.0/15", "benchmarking"],
  ["198.51.100.0/24", "documentation (TEST-NET-2)"],
  ["203.0.113.0/24", "documentation (TEST-NET-3)"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved (and the broadcast address)"],
];

/** Named first (for the message); the last entry catches everything outside 2000::/3. */
const IPV6_REFUSED_OUTSIDE_GLOBAL: readonly [string, string][] = [
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["::ffff:0:0/96", "IPv4-mapped"],
  ["::ffff:0:0:0/96", "IPv4-translated"],
  ["::/96", "IPv4-compatible"],
  ["64:ff9b::/96", "NAT64 (IPv4-embedded)"],
  ["64:ff9b:1::/48", "local-use NAT64 (IPv4-embedded)"],
  ["100::/64", "discard-only"],
  ["fc00::/7", "unique-local (private)"],
  ["fe80::/10", "link-local"],
  ["fec0::/10", "site-local (deprecated private)"],
  ["ff00::/8", "multicast"],
];

const IPV6_REFUSED_INSIDE_GLOBAL: readonly [string, string][] = [
  ["2001::/32", "Teredo (IPv4-embedded)"],
  ["2001::/23", "IETF protocol assignments"],
  ["2001:db8::/32", "documentation"],
  ["2002::/16", "6to4 (IPv4-embedded)"],
  ["3fff::/20", "documentation"],
];

const GLOBAL_UNICAST = range(6, "2000::/3", "global unicast");
const NOT_GLOBAL: RefusedRange = { cidr: "outside 2000::/3", label: "not global unicast" };

const V4 = IPV4_REFUSED.map(([cidr, label]) => range(4, cidr, label));
const V6_OUTSIDE = IPV6_REFUSED_OUTSIDE_GLOBAL.map(([cidr, label]) => range(6, cidr, label));
const V6_INSIDE = IPV6_REFUSED_INSIDE_GLOBAL.map(([cidr, label]) => range(6, cidr, label));

/** Every refused range, for documentation and tests (the IPv6 catch-all is not a CIDR). */
export const REFUSED_RANGES: readonly RefusedRange[] = [...V4, ...V6_OUTSIDE, ...V6_INSIDE].map(({ cidr, label }) => ({
  cidr,
  label,
}));

/**
 * The refused range an IP address falls in, or undefined for a public address. Not an IP
 * address (a host name): undefined, the caller resolves it first.
 * @example addressRefusal("100.100.100.200") // { cidr: "100.64.0.0/10", label: "shared address space …" }
 */
export function addressRefusal(address: string): RefusedRange | undefined {
  const parsed = parseIp(address);
  if (!parsed) return undefined;
  if (parsed.version === 4) return V4.find((r) => contains(r, parsed.value));
  if (!contains(GLOBAL_UNICAST, parsed.value)) return V6_OUTSIDE.find((r) => contains(r, parsed.value)) ?? NOT_GLOBAL;
  return V6_INSIDE.find((r) => contains(r, parsed.value));
}

function contains(r: Range, value: bigint): boolean {
  const bits = r.version === 4 ? 32 : 128;
  const shift = BigInt(bits - r.prefix);
  return value >> shift === r.network >> shift;
}

function range(version: 4 | 6, cidr: string, label: string): Range {
  const [address = "", prefix = ""] = cidr.split("/");
  const parsed = parseIp(address);
  if (!parsed || parsed.version !== version) throw new Error(`bad range ${cidr}`);
  return { version, network: parsed.value, prefix: Number(prefix), cidr, label };
}

/** An IP address as a number (IPv6 zone ids and brackets ignored), or undefined. */
export function parseIp(text: string): { version: 4 | 6; value: bigint } | undefined {
  const address = text.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  const version = isIP(address);
  if (version === 4) return { version, value: ipv4Value(address) };
  if (version === 6) {
    const groups = ipv6Groups(address);
    return groups && { version, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n) };
  }
  return undefined;
}

function ipv4Value(address: string): bigint {
  return address.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

/** The eight 16-bit groups of a valid IPv6 address (a dotted IPv4 tail is two groups). */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail?.[1]) {
    const v4 = Number(ipv4Value(tail[1]));
    text = `${text.slice(0, tail.index)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head = "", rest] = text.split("::");
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (rest === undefined && missing !== 0)) return undefined;
  return [...left, ...new Array<number>(missing).fill(0), ...right];
}
