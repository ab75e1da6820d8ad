/**
 * A backup on demand (`POST /api/backups`, admin): a run of workflows/platform_backup.yaml, whose
 * id is the backup's. The configuration is checked first, so a missing key or destination is a
 * 503 naming it rather than a run that fails; an unregistered workflow (no `npm run workflows:sync`)
 * is a 404. One backup runs at a time (the workflow's concurrency): a second request queues
 * behind the first.
 */
import { backupKey } from "@/backups/config";
import { configuredDestinations } from "@/backups/destinations";
import type { Db } from "@/db/client";
import { startRun } from "@/engine/start-run";

export const BACKUP_WORKFLOW = "platform_backup";

export interface StartedBackup {
  backupId: string;
  runId: string;
}

export async function requestBackup(db: Db, requestedBy: string): Promise<StartedBackup> {
  backupKey();
  configuredDestinations();
  // An unregistered workflow is the engine's 404 (WorkflowNotFoundError), naming it.
  const run = await startRun(db, {
    workflow: BACKUP_WORKFLOW,
    input: { trigger: "api", requestedBy },
    priority: "high",
  });
  return { backupId: run.id, runId: run.id };
}
