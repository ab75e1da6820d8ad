import { z } from "zod";
import { PRIORITIES } from "@/db/schema";
import { kickTick } from "@/engine/kick";
import { MAX_BULK_RUNS, startRuns } from "@/engine/start-run";
import { afterResponse } from "@/http/after-response";
import { withApiKey } from "@/http/wrappers";

const bulkStartInput = z.strictObject({
  runs: z
    .array(
      z.strictObject({
        input: z.unknown().optional(),
        idempotencyKey: z.string().min(1).max(200).optional(),
        priority: z.enum(PRIORITIES).optional(),
      }),
    )
    .min(1)
    .max(MAX_BULK_RUNS),
});

// POST /api/workflows/<name>/runs {runs: [{input?, idempotencyKey?, priority?}]} (≤ 1000) — starts
// many runs in one statement: 202 {runs: [{id, created}]} in the order given; a repeated key
// answers the existing run's id with created false. The single-run start stays POST /api/workflows/<name>.
export const POST = withApiKey(
  { role: "operator", action: "runs.start_bulk" },
  async ({ db, json, params, principal, audit }) => {
    audit.target = params.name;
    const body = await json(bulkStartInput);
    const started = await startRuns(db, {
      workflow: params.name ?? "",
      runs: body.runs,
      trigger: { type: "manual", actor: principal.actor },
    });
    const created = started.filter((s) => s.created).length;
    audit.details = { requested: started.length, created };
    if (created > 0) afterResponse(() => kickTick(db));
    return Response.json({ runs: started }, { status: 202 });
  },
);
