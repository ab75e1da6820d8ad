import { withCron } from "@/http/wrappers";

// GET /api/health/self (Bearer CRON_SECRET) — what /api/health's selfCall check calls through the
// self-call module: a 200 proves the base URL reaches this app past Deployment Protection (bypass
// header) and that its CRON_SECRET matches. Answers nothing else.
export const GET = withCron(async () => Response.json({ ok: true }, { headers: { "Cache-Control": "no-store" } }));
