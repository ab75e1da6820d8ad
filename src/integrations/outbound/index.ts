/**
 * The outbound policy shared by every third-party call (http steps, outgoing webhooks,
 * verify_deployment and its link probes, the supplier, Slack): see policy.ts for the rules and
 * fetch.ts for where they are enforced. Depends on node and undici only, so any layer may use it.
 */
export { REFUSED_RANGES, addressRefusal, parseIp, type RefusedRange } from "./addresses";
export {
  describeOutboundFailure,
  DEFAULT_MAX_REDIRECTS,
  fetchFollowingRedirects,
  outboundFetch,
  type OutboundInit,
} from "./fetch";
export {
  ALLOW_LIST_VARIABLE,
  OutboundRefused,
  allowedHosts,
  checkOutboundUrl,
  hostRefusal,
  isHostAllowed,
  normalizeHost,
  refusalMessage,
  type EnvSource,
  type OutboundRefusal,
} from "./policy";
