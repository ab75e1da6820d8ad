import { z } from "zod";
import { cacheStats, invalidateCache, invalidateCacheQuery } from "@/agents/gateway/cache";
import { withApiKey } from "@/http/wrappers";

const statsQuery = z.strictObject({
  /** The window of the hit rates (raw metric points are kept a day). */
  windowMinutes: z.coerce.number().int().min(1).max(1_440).default(60),
});

// GET /api/agents/cache?windowMinutes= — the result cache per cacheable action: lookups, hits,
// misses, hit rate over the window, entries stored now, the hit's lookup latency.
export const GET = withApiKey({ role: "viewer" }, async ({ db, query }) => {
  const { windowMinutes } = query(statsQuery);
  return Response.json({ windowMinutes, actions: await cacheStats(db, { windowMs: windowMinutes * 60_000 }) });
});

// DELETE /api/agents/cache?agent=&action= (every entry of the action, all versions) or ?key=
// (one entry) — the next call of that input asks the agent again. Answers how many were deleted.
export const DELETE = withApiKey(
  { role: "operator", action: "agents.cache.invalidate" },
  async ({ db, query, audit }) => {
    const by = query(invalidateCacheQuery);
    const result = await invalidateCache(db, by);
    audit.target = by.key ?? `${by.agent}/${by.action}`;
    audit.details = { deleted: result.deleted };
    return Response.json(result);
  },
);
