import { z } from "zod";
import { backupStatus, backupsQuery, listBackups } from "@/backups/list";
import { kickTick } from "@/engine/kick";
import { afterResponse } from "@/http/after-response";
import { withApiKey } from "@/http/wrappers";
import { requestBackup } from "@/operations/backups/start";

// GET /api/backups?limit=&cursor= — backups, newest first (size, duration, destinations, verification),
// with the last successful backup and restore drill.
export const GET = withApiKey({ role: "viewer" }, async ({ db, query }) => {
  const params = query(backupsQuery);
  const [page, status] = await Promise.all([listBackups(db, params), backupStatus(db)]);
  return Response.json({ ...page, ...status });
});

// POST /api/backups — starts a backup now: 202 {backupId, runId}. An empty body or `{}`.
export const POST = withApiKey(
  { role: "admin", action: "backups.start" },
  async ({ db, optionalJson, principal, audit }) => {
    await optionalJson(z.strictObject({}));
    const started = await requestBackup(db, principal.actor);
    audit.target = started.backupId;
    afterResponse(() => kickTick(db));
    return Response.json(started, { status: 202 });
  },
);
