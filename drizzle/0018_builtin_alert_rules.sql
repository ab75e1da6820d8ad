-- The built-in alert rules of issue 17's operations: gateway tuning, result cache, retention, backups.

-- The built-in rules of the gateway's tuning (issue 17): an agent throttled under half of its largest
-- concurrency (value: limit / largest), and an adaptive timeout pinned at its ceiling (value: the
-- action's p99 × margin / its ceiling, learned within the window). Idempotent through the builtin key.
INSERT INTO "alert_rules" ("name", "description", "source", "metric", "aggregate", "condition", "group_by", "comparator", "threshold", "window_seconds", "min_count", "severity", "cooldown_seconds", "escalate_after_minutes", "escalate_to", "channels", "builtin") VALUES
  ('Agent throttled', 'An agent''s concurrency limit fell under half of its largest (AGENT_CONCURRENCY): its latency left its normal band or its error rate rose. Value: limit / largest.', 'condition', NULL, NULL, 'agent_throttled', NULL, 'lt', 0.5, 300, 1, 'warning', 3600, 60, 'critical', '{slack,email}', 'agent_throttled'),
  ('Adaptive timeout at its ceiling', 'An action''s adaptive timeout is pinned at the ceiling it declares: its p99 × margin reaches the ceiling. Value: that share of the ceiling.', 'condition', NULL, NULL, 'adaptive_timeout_at_ceiling', NULL, 'gte', 1, 900, 1, 'warning', 3600, NULL, NULL, '{slack,email}', 'adaptive_timeout_at_ceiling')
ON CONFLICT ("builtin") DO NOTHING;--> statement-breakpoint

-- The built-in rule of the agents' result cache (issue 17): it fires when a cacheable action's
-- result cache misses more than 30 % of its lookups over the last hour (the planning notes'
-- ALERT_CACHE_MISS_THRESHOLD=0.3), judged from 20 lookups. Idempotent through the builtin key.
INSERT INTO "alert_rules" ("name", "description", "source", "metric", "aggregate", "condition", "group_by", "comparator", "threshold", "window_seconds", "min_count", "severity", "cooldown_seconds", "escalate_after_minutes", "escalate_to", "channels", "builtin") VALUES
  ('Cache miss rate', 'A cacheable agent action''s result cache misses more than 30 % of its lookups (hit rates: GET /api/agents/cache; invalidation: DELETE /api/agents/cache). The threshold, window and minimum number of lookups are the rule''s, editable like any rule.', 'condition', NULL, NULL, 'cache_miss_rate', NULL, 'gt', 0.3, 3600, 20, 'warning', 3600, NULL, NULL, '{slack,email}', 'cache_miss_rate')
ON CONFLICT ("builtin") DO NOTHING;--> statement-breakpoint

-- The built-in rule of retention (issue 17): it fires per table (the subject) when the table's
-- oldest prunable row is more than 6 hours past its retention (a pass runs every minute, so a
-- table kept up with is a minute behind at most), and escalates after a day. Idempotent through
-- the builtin key.
INSERT INTO "alert_rules" ("name", "description", "source", "metric", "aggregate", "condition", "group_by", "comparator", "threshold", "window_seconds", "min_count", "severity", "cooldown_seconds", "escalate_after_minutes", "escalate_to", "channels", "builtin") VALUES
  ('Retention behind', 'A table''s oldest prunable row is more than 6 hours past its retention: pruning does not keep up, or does not run (progress: GET /api/system/retention and the dashboard''s retention panel). The threshold, in hours, is the rule''s, editable like any rule.', 'condition', NULL, NULL, 'retention_behind', NULL, 'gt', 6, 3600, 1, 'warning', 3600, 1440, 'critical', '{slack,email}', 'retention_behind')
ON CONFLICT ("builtin") DO NOTHING;--> statement-breakpoint

-- The built-in rules of backups (issue 17): the last verified backup is older than 26 hours (the
-- backup runs daily at 02:30 UTC), or the last successful restore drill is older than 50 hours (the
-- drill runs daily at 04:30 UTC). With none yet, measured from the first attempt (or the last
-- migration), so a fresh install has a day to take its first. Idempotent through the builtin key.
INSERT INTO "alert_rules" ("name", "description", "source", "metric", "aggregate", "condition", "group_by", "comparator", "threshold", "window_seconds", "min_count", "severity", "cooldown_seconds", "escalate_after_minutes", "escalate_to", "channels", "builtin") VALUES
  ('Backup overdue', 'No backup has succeeded and read back verified for longer than the threshold (hours): see GET /api/backups and the platform_backup runs.', 'condition', NULL, NULL, 'backup_stale', NULL, 'gt', 26, 300, 1, 'critical', 3600, 120, 'critical', '{slack,email}', 'backup_stale'),
  ('Restore drill overdue', 'No restore drill has succeeded for longer than the threshold (hours): the newest backup has not been shown to restore (see GET /api/backups and the platform_backup_drill runs).', 'condition', NULL, NULL, 'backup_drill_stale', NULL, 'gt', 50, 300, 1, 'warning', 3600, 240, 'critical', '{slack,email}', 'backup_drill_stale')
ON CONFLICT ("builtin") DO NOTHING;
