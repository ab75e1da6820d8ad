/**
 * Which hosts an `http` step may call: the outbound policy of src/integrations/outbound (one
 * table of refused ranges and one allow-list, HTTP_STEP_ALLOWED_HOSTS, for every outbound
 * caller). This is the check of the URL as written, made at registration for a static host
 * and again on the rendered URL; the executor's connection checks the address a name resolves
 * to (src/integrations/outbound/fetch.ts).
 */
// The policy module alone (no undici): the definition layer stays pure.
import type { RefusedRange } from "@/integrations/outbound/addresses";
import {
  checkOutboundUrl,
  type EnvSource,
  hostRefusal,
  isHostAllowed,
  OutboundRefused,
  type OutboundRefusal,
} from "@/integrations/outbound/policy";

export type { EnvSource };
export type HostRefusal = OutboundRefusal;

export class HttpHostError extends Error {
  readonly code = "http_host_not_allowed" as const;
  constructor(
    readonly url: string,
    readonly reason: HostRefusal,
    message: string,
    readonly range?: RefusedRange,
  ) {
    super(message);
    this.name = "HttpHostError";
  }
}

/**
 * Throws HttpHostError unless the URL is http(s) and its host is public or explicitly allowed.
 * Read at call time: serverless runtimes may inject the environment per request.
 * @example assertHttpHostAllowed("http://10.0.0.5/hook", { HTTP_STEP_ALLOWED_HOSTS: "10.0.0.5" })
 */
export function assertHttpHostAllowed(url: string, env: EnvSource = process.env): void {
  try {
    checkOutboundUrl(url, env);
  } catch (error) {
    if (error instanceof OutboundRefused) throw new HttpHostError(url, error.reason, error.message, error.range);
    throw error;
  }
}

/** The allow-list says this host may be called whatever it is or resolves to. */
export function isHostExplicitlyAllowed(hostname: string, env: EnvSource = process.env): boolean {
  return isHostAllowed(hostname, env);
}

/** The refused range a host as written falls in (`localhost`, a literal address), or undefined. */
export function classifyHost(host: string): RefusedRange | undefined {
  return hostRefusal(host);
}
