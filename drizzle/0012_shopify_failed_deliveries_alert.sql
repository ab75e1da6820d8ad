-- The built-in rule for Shopify deliveries that failed for good (issue 15): it fires while any is
-- left failed (not reprocessed), and resolves once none is. Idempotent through the builtin key.
INSERT INTO "alert_rules" ("name", "description", "source", "metric", "aggregate", "condition", "group_by", "comparator", "threshold", "window_seconds", "min_count", "severity", "cooldown_seconds", "escalate_after_minutes", "escalate_to", "channels", "builtin") VALUES
  ('Shopify deliveries failed', 'At least one Shopify webhook delivery failed for good and waits for an operator (list: GET /api/webhooks/shopify/deliveries?status=failed; reprocess: POST …/deliveries/<id>/reprocess).', 'condition', NULL, NULL, 'failed_shopify_deliveries', NULL, 'gt', 0, 300, 1, 'warning', 3600, 60, 'critical', '{slack,email}', 'failed_shopify_deliveries')
ON CONFLICT ("builtin") DO NOTHING;
