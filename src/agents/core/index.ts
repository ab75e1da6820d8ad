import { defineAgent } from "../framework";
import { healthAction } from "./health";
import { notifyAdminAction, notifyClientAction } from "./notify";
import { qaCheckAction } from "./qa";

export const core = defineAgent({
  name: "core",
  description: "Quality checks, client and admin notifications, health.",
  actions: {
    qa_check: qaCheckAction,
    notify_client: notifyClientAction,
    notify_admin: notifyAdminAction,
    health: healthAction,
  },
});
