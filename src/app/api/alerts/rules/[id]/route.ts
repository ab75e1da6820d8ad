import { idParam } from "@/operations/alerts/http";
import { deleteRule, getRule, updateRule, updateRuleInput } from "@/operations/alerts/rules";
import { withApiKey } from "@/http/wrappers";

// GET /api/alerts/rules/<id> — one rule with its alert counts.
export const GET = withApiKey({ role: "viewer" }, async ({ db, params }) => {
  return Response.json({ rule: await getRule(db, idParam(params.id, "alert rule")) });
});

// PUT /api/alerts/rules/<id> — changes the fields given; the result must be a valid rule; a built-in rule keeps what it measures.
export const PUT = withApiKey({ role: "admin", action: "alerts.rules.update" }, async ({ db, json, params, audit }) => {
  const patch = await json(updateRuleInput);
  const rule = await updateRule(db, idParam(params.id, "alert rule"), patch);
  audit.details = { fields: Object.keys(patch) };
  return Response.json({ rule });
});

// DELETE /api/alerts/rules/<id> — deletes a custom rule and its alerts; a built-in rule → 409 (disable it instead).
export const DELETE = withApiKey({ role: "admin", action: "alerts.rules.delete" }, async ({ db, params, audit }) => {
  const rule = await deleteRule(db, idParam(params.id, "alert rule"));
  audit.details = { name: rule.name };
  return Response.json({ rule });
});
