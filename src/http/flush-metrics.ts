// The metrics buffer's flush after the response: an HTTP concern (Next's `after()`), so it lives
// here and the buffer (src/observability/metrics/record.ts) knows nothing of requests.
import type { Db } from "@/db/client";
import { bufferedMetricCount, flushMetrics } from "@/observability/metrics/record";
import { afterResponse } from "./after-response";

/**
 * On a serverless platform (Vercel), flushes once the current response is sent (Next's
 * `after()`), so the points of an invocation are written before it may be frozen; requests
 * answered together share the flush (the first takes every buffered point, the others find
 * the buffer empty and send nothing). A resident process (`npm start`, `npm run worker`) keeps
 * the timer alone: a busy server then writes one insert a second, not one per request.
 */
export function flushMetricsAfterResponse(db: Db, options: { serverless?: boolean } = {}): void {
  const serverless = options.serverless ?? Boolean(process.env.VERCEL);
  if (!serverless || bufferedMetricCount(db) === 0) return;
  afterResponse(() => flushMetrics(db));
}
