/**
 * The gateway every engine call to an agent goes through: the result cache of a cacheable action
 * (cache.ts: a hit answers without calling the agent), the agent's circuit breaker, its
 * rate limit, its concurrency limit (throttle.ts), then the transport (http or inline) within the
 * action's timeout (adaptive-timeout.ts), then the record of the call (latency and
 * outcome) and the breaker's bookkeeping. A call the breaker or a limit holds back is
 * `deferred`: the engine puts the step back in the queue without using an attempt.
 */
import type { AgentCall, AgentInvoker, AgentResult } from "@/engine/kinds/agent";
import { AgentCallFailed, agentTransport, callHttp, callInline, toStepError } from "../transport";
import { admitCall, recordFailure, recordSuccess } from "./breaker";
import { lookupCache } from "./cache";
import { flushCalls, recordCall } from "./calls";
import { rateLimitOf, takeAgentToken } from "./rate-limit";
import { acquireSlot } from "./throttle";
import { withAdaptiveTimeout } from "./adaptive-timeout";

export const gatewayInvoker: AgentInvoker = {
  async invoke(call: AgentCall): Promise<AgentResult> {
    // A cacheable action's stored answer is served before anything else: the agent is not called.
    const cache = await lookupCache(call);
    if (cache?.hit) return cache.hit;
    const admission = await admitCall(call.db, call.agent);
    if (!admission.ok) return { status: "deferred", until: admission.until, reason: admission.reason };
    const limit = rateLimitOf(call.agent);
    if (limit) {
      const token = await takeAgentToken(call.db, call.agent, limit);
      if (!token.ok)
        return {
          status: "deferred",
          until: token.until,
          reason: `The rate limit of agent "${call.agent}" is reached.`,
        };
    }
    // The agent's concurrency limit (throttle.ts), held across instances by a lease on a slot.
    const lease = await acquireSlot(call.db, call.agent, call.timeoutMs);
    if (!lease.ok) return { status: "deferred", until: lease.until, reason: lease.reason };
    const started = performance.now();
    try {
      const result = await withAdaptiveTimeout(call, (c) =>
        agentTransport() === "http" ? callHttp(c) : callInline(c),
      );
      recordCall(call.db, {
        agent: call.agent,
        action: call.action,
        outcome: result.status === "accepted" ? "accepted" : "succeeded",
        durationMs: performance.now() - started,
      });
      await recordSuccess(call.db, call.agent);
      await cache?.store(result);
      return result;
    } catch (error) {
      // A timeout aborts the call: the agent did not answer in time, which is its fault.
      const agentFault = !(error instanceof AgentCallFailed) || error.agentFault;
      recordCall(call.db, {
        agent: call.agent,
        action: call.action,
        outcome: agentFault ? "failed" : "rejected",
        durationMs: performance.now() - started,
      });
      if (agentFault) await recordFailure(call.db, call.agent);
      throw toStepError(error);
    } finally {
      await lease.release();
    }
  },
  flush: flushCalls,
};
