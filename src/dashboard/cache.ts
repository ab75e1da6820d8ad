"use client";
/**
 * The dashboard's read of the agents' result cache (`GET /api/agents/cache`, viewer): its
 * schema and its hook, kept beside the other resources' (schemas.ts, hooks.ts) in their style.
 */
import { z } from "zod";
import { getJson } from "./fetcher";
import { useResource } from "./hooks";

export const cacheActionSchema = z.object({
  agent: z.string(),
  action: z.string(),
  cacheable: z.boolean(),
  ttlMs: z.number().nullable(),
  version: z.number().nullable(),
  lookups: z.number(),
  hits: z.number(),
  misses: z.number(),
  hitRate: z.number().nullable(),
  missRate: z.number().nullable(),
  entries: z.number(),
  hitP50Ms: z.number().nullable(),
  hitP95Ms: z.number().nullable(),
});
export type CacheAction = z.infer<typeof cacheActionSchema>;

export const cacheStatsSchema = z.object({ windowMinutes: z.number(), actions: z.array(cacheActionSchema) });
export type CacheStats = z.infer<typeof cacheStatsSchema>;

export const CACHE_STATS_URL = "/api/agents/cache?windowMinutes=60";

export function useAgentCache() {
  return useResource<typeof cacheStatsSchema>(CACHE_STATS_URL, () => getJson(CACHE_STATS_URL, cacheStatsSchema));
}
