/**
 * The gateway's tuning as the dashboard shows it (`GET /api/system/gateway-tuning`): each adaptive
 * action's timeout beside its static value and bounds, and each throttled agent's concurrency
 * limit with its latest changes.
 */
import type { Db } from "@/db/client";
import { adaptiveTimeoutsView, type AdaptiveTimeoutView } from "./adaptive-timeout";
import { throttlesView, type ThrottleView } from "./throttle";

export interface GatewayTuning {
  adaptiveTimeouts: { enabled: boolean; actions: AdaptiveTimeoutView[] };
  throttles: ThrottleView[];
}

export async function gatewayTuning(db: Db): Promise<GatewayTuning> {
  const [adaptiveTimeouts, throttles] = await Promise.all([adaptiveTimeoutsView(db), throttlesView(db)]);
  return { adaptiveTimeouts, throttles };
}
