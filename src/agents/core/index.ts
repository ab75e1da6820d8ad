import { defineAgent } from "../framework";
import { slackCheck, smtpCheck } from "../probe-checks";
import {
  backupDrillAction,
  backupExportChunkAction,
  backupFailAction,
  backupFinishAction,
  backupPlanAction,
  backupVerifyAction,
} from "./backup";
import { healthAction } from "./health";
import { notifyAdminAction, notifyClientAction } from "./notify";
import { qaCheckAction } from "./qa";

export const core = defineAgent({
  name: "core",
  description: "Quality checks, client and admin notifications, health.",
  // Probe: the database, and the channels notify_client/notify_admin deliver through (SMTP verified, Slack configured).
  health: [smtpCheck, slackCheck],
  // Direct calls (API key): only the actions with no effect outside their answer declare a role;
  // the rest run only as workflow steps (signed engine calls). See src/agents/access.ts.
  actions: {
    // Checks the files it is given (nothing fetched): an operator may check directly.
    qa_check: { ...qaCheckAction, directCall: "operator" },
    // Email from the platform's sender: signed-only.
    notify_client: notifyClientAction,
    notify_admin: notifyAdminAction,
    // A `select 1`: any key may probe it.
    health: { ...healthAction, directCall: "viewer" },
    // The steps of workflows/platform_backup.yaml (src/backups/): signed-only.
    backup_plan: backupPlanAction,
    backup_export_chunk: backupExportChunkAction,
    backup_finish: backupFinishAction,
    backup_verify: backupVerifyAction,
    backup_fail: backupFailAction,
    backup_drill: backupDrillAction,
  },
});
