/**
 * The gateway every engine call to an agent goes through: the agent's circuit breaker, its
 * rate limit, then the transport (http or inline), then the record of the call (latency and
 * outcome) and the breaker's bookkeeping. A call the breaker or the limit holds back is
 * `deferred`: the engine puts the step back in the queue without using an attempt.
 */
import type { AgentCall, AgentInvoker, AgentResult } from "@/engine/kinds/agent";
import { AgentCallFailed, agentTransport, callHttp, callInline, toStepError } from "../transport";
import { admitCall, recordFailure, recordSuccess } from "./breaker";
import { flushCalls, recordCall } from "./calls";
import { rateLimitOf, takeAgentToken } from "./rate-limit";

export const gatewayInvoker: AgentInvoker = {
  async invoke(call: AgentCall): Promise<AgentResult> {
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
    const started = performance.now();
    try {
      const result = agentTransport() === "http" ? await callHttp(call) : await callInline(call);
      recordCall(call.db, {
        agent: call.agent,
        action: call.action,
        outcome: result.status === "accepted" ? "accepted" : "succeeded",
        durationMs: performance.now() - started,
      });
      await recordSuccess(call.db, call.agent);
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
    }
  },
  flush: flushCalls,
};
