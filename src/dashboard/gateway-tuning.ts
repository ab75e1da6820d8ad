"use client";
/**
 * The dashboard's read of the gateway's tuning (`GET /api/system/gateway-tuning`, viewer):
 * adaptive timeouts per action and concurrency limits per agent. Its schema and hook, in the
 * style of schemas.ts and hooks.ts.
 */
import { z } from "zod";
import { getJson } from "./fetcher";
import { useResource } from "./hooks";

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be a date");

export const adaptiveTimeoutSchema = z.object({
  agent: z.string(),
  action: z.string(),
  staticMs: z.number(),
  floorMs: z.number(),
  ceilingMs: z.number(),
  margin: z.number(),
  effectiveMs: z.number(),
  learned: z.object({ timeoutMs: z.number(), p99Ms: z.number(), samples: z.number(), computedAt: iso }).nullable(),
  atCeiling: z.boolean(),
});
export type AdaptiveTimeout = z.infer<typeof adaptiveTimeoutSchema>;

export const throttleSchema = z.object({
  agent: z.string(),
  concurrency: z.number(),
  maxConcurrency: z.number(),
  configured: z.boolean(),
  inFlight: z.number(),
  updatedAt: iso,
  changes: z.array(z.object({ from: z.number(), to: z.number(), reason: z.string(), at: iso })),
});
export type Throttle = z.infer<typeof throttleSchema>;

export const gatewayTuningSchema = z.object({
  adaptiveTimeouts: z.object({ enabled: z.boolean(), actions: z.array(adaptiveTimeoutSchema) }),
  throttles: z.array(throttleSchema),
});

export const GATEWAY_TUNING_URL = "/api/system/gateway-tuning";

export function useGatewayTuning() {
  return useResource<typeof gatewayTuningSchema>(GATEWAY_TUNING_URL, () =>
    getJson(GATEWAY_TUNING_URL, gatewayTuningSchema),
  );
}
