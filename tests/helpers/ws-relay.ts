/**
 * The WebSocket-to-TCP relay for the Neon driver tests: the same relay `npm run rehearse` runs
 * (scripts/rehearse/ws-relay.ts), so the tests and the rehearsal exercise one implementation.
 */
export { parseLoopbackTarget, startWsRelay, type WsRelay } from "../../scripts/rehearse/ws-relay";
