/**
 * fetch() under the outbound policy (policy.ts). Every third-party call goes through
 * `outboundFetch`; it never follows a redirect (a caller that follows them checks each hop
 * by calling it again, see `fetchFollowingRedirects`).
 *
 * The check is made where the connection is made, not before: the request runs on an undici
 * Agent whose connector
 * - resolves the host with a lookup hook that refuses the connection when any resolved address
 *   is in a refused range, so the answer checked is the answer connected to (a resolver that
 *   answers a public address to an earlier check and a private one now gains nothing);
 * - checks the socket's remote address once connected (literal IP hosts never go through a
 *   lookup; and whatever path a future change opens, the address actually connected to is
 *   checked) and destroys the socket before anything is written when it is refused.
 * A failed lookup fails the call (fail closed): nothing is sent without a checked address.
 *
 * undici (pinned to the major Node bundles) provides the Agent and its own fetch; its fetch is
 * used rather than the global one so the Agent and fetch always come from the same copy.
 */
import dns, { type LookupAddress, type LookupOptions } from "node:dns";
import type { Socket } from "node:net";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";
import { addressRefusal } from "./addresses";
import { checkOutboundUrl, isHostAllowed, OutboundRefused, refusalMessage } from "./policy";

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

const CONNECT_TIMEOUT_MS = 10_000;

/** `net.connect`'s lookup option: resolves like dns.lookup, then applies the policy to every answer. */
function policedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  const allowed = isHostAllowed(hostname);
  // Read at call time (not captured at import), so a test can replace dns.lookup.
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, "");
    if (addresses.length === 0)
      return callback(Object.assign(new Error(`no address found for ${hostname}`), { code: "ENOTFOUND" }), "");
    if (!allowed) {
      for (const { address } of addresses) {
        const range = addressRefusal(address);
        if (range) return callback(new OutboundRefused("address", refusalMessage(hostname, address, range), range), "");
      }
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

const connectWithLookup = buildConnector({
  lookup: policedLookup,
  timeout: CONNECT_TIMEOUT_MS,
} as buildConnector.BuildOptions);

/** The connector: connect through the policed lookup, then check the address actually connected to. */
const policedConnect: buildConnector.connector = (options, callback) => {
  connectWithLookup(options, (error, socket) => {
    if (error || !socket) return callback(error ?? new Error("no socket"), null);
    const address = (socket as Socket).remoteAddress;
    const range = address === undefined ? { cidr: "unknown", label: "no remote address" } : addressRefusal(address);
    if (range && !isHostAllowed(options.hostname)) {
      socket.destroy();
      return callback(new OutboundRefused("address", refusalMessage(options.hostname, address, range), range), null);
    }
    callback(null, socket);
  });
};

let agent: Agent | undefined;
function policedAgent(): Agent {
  agent ??= new Agent({ connect: policedConnect });
  return agent;
}

export interface OutboundInit {
  method?: string;
  headers?: HeadersInit;
  body?: string;
  signal?: AbortSignal;
}

/**
 * One request under the outbound policy; redirects are returned, not followed. Throws
 * OutboundRefused when the policy refuses the URL or the address it leads to; other failures
 * (network, timeout, DNS) are thrown as fetch throws them.
 */
export async function outboundFetch(url: string | URL, init: OutboundInit = {}): Promise<Response> {
  const target = checkOutboundUrl(url);
  try {
    const res = await undiciFetch(target, {
      method: init.method,
      headers: init.headers as never,
      body: init.body,
      signal: init.signal,
      redirect: "manual",
      dispatcher: policedAgent(),
    });
    // undici's Response is the class Node's global fetch returns (another copy of it): same interface.
    return res as unknown as Response;
  } catch (error) {
    const cause = error instanceof Error ? error.cause : undefined;
    if (cause instanceof OutboundRefused) throw cause;
    throw error;
  }
}

/** The text of a failure without its stack, unwrapping fetch's generic "fetch failed". */
export function describeOutboundFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause : undefined;
  if (error.message === "fetch failed" && cause)
    return `${cause.message}${"code" in cause && cause.code ? ` (${String(cause.code)})` : ""}`;
  return error.message;
}

export const DEFAULT_MAX_REDIRECTS = 5;

/**
 * Follows redirects by hand, each hop a new call of `send` (so each hop is checked by whatever
 * `send` applies: the outbound policy, or the self-call rules for our own origin). After
 * `maxRedirects` hops the last redirect is returned as it is. A Location that is not a valid
 * URL ends the chain there too.
 */
export async function fetchFollowingRedirects(
  url: string,
  send: (url: string) => Promise<Response>,
  maxRedirects: number = DEFAULT_MAX_REDIRECTS,
): Promise<Response> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const res = await send(current);
    const location = res.headers.get("location");
    if (res.status < 300 || res.status > 399 || !location || hop >= maxRedirects) return res;
    let next: string;
    try {
      next = new URL(location, current).href;
    } catch {
      return res;
    }
    await res.body?.cancel();
    current = next;
  }
}
