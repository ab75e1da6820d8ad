/**
 * The typed contract between the dashboard and the API: one zod schema per response the page
 * reads. Every fetch is parsed through one of these, so a drifted API shows up as a visible
 * "unexpected response" on its panel instead of a blank or a crash, and the components' types
 * are these schemas' outputs.
 *
 * Browser code: the enums are spelled out here rather than imported from `@/db/schema`, which
 * would pull drizzle into the bundle. tests/unit/dashboard/schemas.test.ts holds them equal to
 * the server's, and parses real responses of the real routes.
 *
 * Objects are not strict: a field the API adds later is ignored, not an error.
 */
import { z } from "zod";

export const RUN_STATUSES = ["queued", "running", "waiting", "succeeded", "failed", "cancelled"] as const;
export const STEP_STATUSES = [
  "pending",
  "queued",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "skipped",
  "cancelled",
] as const;
export const AGENT_STATUSES = ["healthy", "degraded", "down"] as const;
export const CIRCUIT_STATES = ["closed", "open", "half_open"] as const;
export const ALERT_SEVERITIES = ["info", "warning", "critical"] as const;
export const ALERT_STATES = ["active", "acknowledged", "resolved"] as const;
export const ROLES = ["viewer", "operator", "admin"] as const;

export type RunStatus = (typeof RUN_STATUSES)[number];
export type Role = (typeof ROLES)[number];

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be a date");
const nullableIso = iso.nullable();

/** The API's error body, `{"error": {code, message, details?}}`. */
export const apiErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

// GET /api/health/agents
export const agentHealthSchema = z.object({
  name: z.string(),
  status: z.enum(AGENT_STATUSES),
  circuit: z.enum(CIRCUIT_STATES),
  latencyMs: z.number().nullable(),
  errorRate: z.number(),
  recent: z.object({ calls: z.number(), p95Ms: z.number().nullable() }),
  probe: z.object({ ok: z.boolean(), error: z.string().optional() }),
  lastCheckedAt: iso,
});
export const agentsHealthSchema = z.object({ agents: z.array(agentHealthSchema) });
export type AgentHealth = z.infer<typeof agentHealthSchema>;

// GET /api/system/monitoring
export const monitoringSchema = z.object({
  at: iso,
  throughput: z.object({ stepsPerSecond: z.number(), requestsPerSecond: z.number(), windowSeconds: z.number() }),
  errorRate: z.object({
    steps: z.number().nullable(),
    requests: z.number().nullable(),
    agentCalls: z.number().nullable(),
  }),
  queue: z.object({ ready: z.number(), oldestReadyAgeMs: z.number().nullable(), waitingSteps: z.number() }),
  runs: z.object(Object.fromEntries(RUN_STATUSES.map((s) => [s, z.number()])) as Record<RunStatus, z.ZodNumber>),
  database: z.object({ latencyMs: z.number() }),
  process: z.object({
    rssBytes: z.number(),
    heapUsedBytes: z.number(),
    heapTotalBytes: z.number(),
    uptimeSeconds: z.number(),
  }),
});
export type Monitoring = z.infer<typeof monitoringSchema>;

// GET /api/workflows
export const workflowsSchema = z.object({
  workflows: z.array(z.object({ name: z.string(), version: z.number(), description: z.string().nullable() })),
});

// GET /api/orchestration/runs and /api/orchestration/runs/<id>
const runHeadShape = {
  id: z.string(),
  workflow: z.string(),
  version: z.number(),
  status: z.enum(RUN_STATUSES),
  priority: z.string(),
  input: z.unknown(),
  output: z.unknown(),
  error: z.unknown(),
  trigger: z.unknown(),
  idempotencyKey: z.string().nullable(),
  createdAt: iso,
  startedAt: nullableIso,
  finishedAt: nullableIso,
};
export const runSummarySchema = z.object(runHeadShape);
export const runListSchema = z.object({ runs: z.array(runSummarySchema), nextCursor: z.string().nullable() });
export type RunSummary = z.infer<typeof runSummarySchema>;

export const attemptSchema = z.object({
  attempt: z.number(),
  outcome: z.string(),
  error: z.unknown(),
  startedAt: nullableIso,
  finishedAt: nullableIso,
  durationMs: z.number(),
});
export type Attempt = z.infer<typeof attemptSchema>;

const stepShape = {
  name: z.string(),
  kind: z.string(),
  status: z.enum(STEP_STATUSES),
  attempts: z.number(),
  input: z.unknown(),
  output: z.unknown(),
  error: z.unknown(),
  progress: z.unknown(),
  startedAt: nullableIso,
  finishedAt: nullableIso,
  history: z.array(attemptSchema),
};
export const stepSchema = z.object({ ...stepShape, items: z.array(z.object(stepShape)).optional() });
export type Step = z.infer<typeof stepSchema>;

export const runSchema = z.object({ ...runHeadShape, steps: z.array(stepSchema) });
export type Run = z.infer<typeof runSchema>;

// GET /api/metrics
export const seriesPointSchema = z.object({
  bucket: iso,
  count: z.number(),
  avg: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  errorRate: z.number().nullable(),
});
export const seriesSchema = z.object({ series: z.array(seriesPointSchema) });
export type SeriesPoint = z.infer<typeof seriesPointSchema>;

// GET /api/alerts, POST /api/alerts/<id>/ack
export const alertSchema = z.object({
  id: z.string(),
  ruleId: z.string(),
  ruleName: z.string(),
  subject: z.string(),
  severity: z.enum(ALERT_SEVERITIES),
  state: z.enum(ALERT_STATES),
  message: z.string(),
  value: z.number().nullable(),
  firedAt: iso,
  lastSeenAt: iso,
  escalatedAt: nullableIso,
  acknowledgedAt: nullableIso,
  acknowledgedBy: z.string().nullable(),
  resolvedAt: nullableIso,
  resolvedBy: z.string().nullable(),
});
export const alertListSchema = z.object({ alerts: z.array(alertSchema), nextCursor: z.string().nullable() });
export const alertActionSchema = z.object({ alert: alertSchema });
export type Alert = z.infer<typeof alertSchema>;

// GET /api/outbox
export const outboxMessageSchema = z.object({
  id: z.string(),
  channel: z.string(),
  recipient: z.string(),
  subject: z.string(),
  status: z.string(),
  attempts: z.number(),
  lastError: z.string().nullable(),
  nextAttemptAt: nullableIso,
  createdAt: iso,
  sentAt: nullableIso,
});
export const outboxSchema = z.object({ messages: z.array(outboxMessageSchema), nextCursor: z.string().nullable() });
export type OutboxMessage = z.infer<typeof outboxMessageSchema>;

// GET /api/webhooks/shopify/deliveries?status=failed (never a payload: customer data stays encrypted server-side)
export const shopifyDeliverySchema = z.object({
  id: z.number(),
  shopDomain: z.string(),
  topic: z.string(),
  webhookId: z.string(),
  status: z.enum(["pending", "processed", "failed"]),
  attempts: z.number(),
  lastError: z.string().nullable(),
  hasPayload: z.boolean(),
  receivedAt: iso,
  nextAttemptAt: nullableIso,
  processedAt: nullableIso,
});
export const shopifyDeliveryListSchema = z.object({
  deliveries: z.array(shopifyDeliverySchema),
  nextCursor: z.string().nullable(),
});
export const shopifyReprocessSchema = z.object({ delivery: shopifyDeliverySchema, requeued: z.boolean() });
export type ShopifyDelivery = z.infer<typeof shopifyDeliverySchema>;

// GET /api/events
export const eventSchema = z.object({
  id: z.number(),
  topic: z.string(),
  data: z.unknown(),
  source: z.string(),
  dedupeKey: z.string().nullable(),
  createdAt: iso,
});
export const eventListSchema = z.object({ events: z.array(eventSchema), nextCursor: z.string().nullable() });
export type DashboardEvent = z.infer<typeof eventSchema>;

// GET /api/session
export const sessionSchema = z.object({ role: z.enum(ROLES), actor: z.string() });
