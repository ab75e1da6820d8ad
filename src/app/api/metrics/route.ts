import { z } from "zod";
import { flushMetricsAfterResponse } from "@/http/flush-metrics";
import { recordMetric } from "@/observability/metrics/record";
import { BUCKETS, metricSeries, type BucketSize } from "@/observability/metrics/query";
import { withApiKey } from "@/http/wrappers";
import { BadRequestError } from "@/errors";

const METRIC_NAME = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.:-]+$/, "may only hold letters, digits and _ . : -");
const LABEL = z.string().min(1).max(200);
const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

const seriesQuery = z
  .strictObject({
    name: METRIC_NAME,
    agent: LABEL.optional(),
    workflow: LABEL.optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    bucket: z.enum(Object.keys(BUCKETS) as [BucketSize, ...BucketSize[]]).default("1m"),
  })
  .transform((q) => {
    const to = q.to ?? new Date();
    return { ...q, to, from: q.from ?? new Date(to.getTime() - 3_600_000) };
  });

/** How far from now a recorded point's time may be: a day back (the raw retention's default), five minutes ahead (clock skew). */
const MAX_PAST_MS = 24 * 3_600_000;
const MAX_FUTURE_MS = 5 * 60_000;

const pointInput = z.strictObject({
  name: METRIC_NAME,
  value: z.number().finite(),
  error: z.boolean().optional(),
  labels: z
    .record(
      z
        .string()
        .min(1)
        .max(50)
        .regex(/^[A-Za-z0-9_]+$/, "label names are letters, digits and _"),
      z.string().max(200),
    )
    .optional()
    .refine((l) => l === undefined || Object.keys(l).length <= 20, "at most 20 labels"),
  at: isoDate
    .optional()
    .refine(
      (d) => d === undefined || (Date.now() - d.getTime() <= MAX_PAST_MS && d.getTime() - Date.now() <= MAX_FUTURE_MS),
      "must be within the last 24 hours (and not over 5 minutes ahead)",
    ),
});
const recordInput = z.union([pointInput, z.strictObject({ points: z.array(pointInput).min(1).max(1000) })]);

// GET /api/metrics?name=&agent=&workflow=&from=&to=&bucket=1m|5m|1h — one series: count, avg, min, max, p50/p95/p99, error rate per bucket.
export const GET = withApiKey({ role: "viewer" }, async ({ db, query }) => {
  const q = query(seriesQuery);
  return Response.json({ series: await metricSeries(db, q) }, { headers: { "Cache-Control": "no-store" } });
});

// POST /api/metrics {name, value, error?, labels?, at?} or {points: [...]} — records custom points (buffered): 202.
export const POST = withApiKey({ role: "operator", action: "metrics.record" }, async ({ db, json, audit }) => {
  const input = await json(recordInput);
  const points = "points" in input ? input.points : [input];
  if (
    points.some(
      (p) => p.name === "step.duration" || p.name === "agent.call.duration" || p.name === "http.request.duration",
    )
  ) {
    throw new BadRequestError(
      "The built-in metrics (step.duration, agent.call.duration, http.request.duration) are recorded by the platform itself.",
    );
  }
  for (const p of points)
    recordMetric(db, { name: p.name, value: p.value, error: p.error, labels: p.labels, at: p.at });
  flushMetricsAfterResponse(db);
  audit.details = { points: points.length, names: [...new Set(points.map((p) => p.name))] };
  return Response.json({ accepted: points.length }, { status: 202 });
});
