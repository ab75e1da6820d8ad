import { createRule, createRuleInput, listRules } from "@/operations/alerts/rules";
import { withApiKey } from "@/http/wrappers";

// GET /api/alerts/rules — every rule with its alert counts (total, active, acknowledged, resolved) and last firing.
export const GET = withApiKey({ role: "viewer" }, async ({ db }) => {
  return Response.json({ rules: await listRules(db) });
});

// POST /api/alerts/rules — 201 with the new rule; a taken name → 409.
export const POST = withApiKey({ role: "admin", action: "alerts.rules.create" }, async ({ db, json, audit }) => {
  const rule = await createRule(db, await json(createRuleInput));
  audit.target = rule.id;
  audit.details = { name: rule.name };
  return Response.json({ rule }, { status: 201 });
});
