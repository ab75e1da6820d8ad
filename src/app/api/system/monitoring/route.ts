import { withApiKey } from "@/http/wrappers";
import { systemMonitoring } from "@/operations/monitoring";

// GET /api/system/monitoring — throughput, error rates, queue depth and oldest ready step, runs by status, database latency, process memory.
export const GET = withApiKey({ role: "viewer" }, async ({ db }) =>
  Response.json(await systemMonitoring(db), { headers: { "Cache-Control": "no-store" } }),
);
