CREATE TABLE "alert_rule_state" (
	"rule_id" uuid NOT NULL,
	"subject" text NOT NULL,
	"last_fired_at" timestamp with time zone NOT NULL,
	CONSTRAINT "alert_rule_state_rule_id_subject_pk" PRIMARY KEY("rule_id","subject")
);
--> statement-breakpoint
CREATE TABLE "alert_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"source" text NOT NULL,
	"metric" text,
	"aggregate" text,
	"condition" text,
	"filter" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"group_by" text,
	"comparator" text NOT NULL,
	"threshold" double precision NOT NULL,
	"window_seconds" integer NOT NULL,
	"min_count" integer DEFAULT 1 NOT NULL,
	"severity" text NOT NULL,
	"cooldown_seconds" integer NOT NULL,
	"escalate_after_minutes" integer,
	"escalate_to" text,
	"channels" text[] DEFAULT '{}'::text[] NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"builtin" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_rules_name_unique" UNIQUE("name"),
	CONSTRAINT "alert_rules_builtin_unique" UNIQUE("builtin")
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"rule_id" uuid NOT NULL,
	"subject" text DEFAULT '' NOT NULL,
	"severity" text NOT NULL,
	"state" text DEFAULT 'active' NOT NULL,
	"message" text NOT NULL,
	"value" double precision,
	"fired_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"escalated_at" timestamp with time zone,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" text,
	"resolved_at" timestamp with time zone,
	"resolved_by" text
);
--> statement-breakpoint
CREATE TABLE "metric_minutes" (
	"name" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"agent" text DEFAULT '' NOT NULL,
	"workflow" text DEFAULT '' NOT NULL,
	"count" integer NOT NULL,
	"sum" double precision NOT NULL,
	"min" double precision NOT NULL,
	"max" double precision NOT NULL,
	"errors" integer NOT NULL,
	"p50" double precision NOT NULL,
	"p95" double precision NOT NULL,
	"p99" double precision NOT NULL,
	CONSTRAINT "metric_minutes_name_bucket_agent_workflow_pk" PRIMARY KEY("name","bucket","agent","workflow")
);
--> statement-breakpoint
CREATE TABLE "metric_points" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "metric_points_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"value" double precision NOT NULL,
	"error" boolean DEFAULT false NOT NULL,
	"agent" text DEFAULT '' NOT NULL,
	"workflow" text DEFAULT '' NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "metric_rollup_state" (
	"id" integer PRIMARY KEY NOT NULL,
	"watermark" timestamp with time zone NOT NULL
);
--> statement-breakpoint
DROP INDEX "runs_created_idx";--> statement-breakpoint
DROP INDEX "runs_status_created_idx";--> statement-breakpoint
DROP INDEX "runs_workflow_created_idx";--> statement-breakpoint
DROP INDEX "steps_ready_idx";--> statement-breakpoint
DROP INDEX "outbox_created_idx";--> statement-breakpoint
DROP INDEX "projects_created_idx";--> statement-breakpoint
ALTER TABLE "alert_rule_state" ADD CONSTRAINT "alert_rule_state_rule_id_alert_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."alert_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_rule_id_alert_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."alert_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "alerts_state_fired_idx" ON "alerts" USING btree ("state","fired_at","id");--> statement-breakpoint
CREATE INDEX "alerts_rule_fired_idx" ON "alerts" USING btree ("rule_id","fired_at","id");--> statement-breakpoint
CREATE INDEX "alerts_fired_idx" ON "alerts" USING btree ("fired_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_open_subject_idx" ON "alerts" USING btree ("rule_id","subject") WHERE "alerts"."state" <> 'resolved';--> statement-breakpoint
CREATE INDEX "metric_minutes_bucket_idx" ON "metric_minutes" USING btree ("bucket");--> statement-breakpoint
CREATE INDEX "metric_minutes_agent_idx" ON "metric_minutes" USING btree ("name","agent","bucket");--> statement-breakpoint
CREATE INDEX "metric_minutes_workflow_idx" ON "metric_minutes" USING btree ("name","workflow","bucket");--> statement-breakpoint
CREATE INDEX "metric_points_name_at_idx" ON "metric_points" USING btree ("name","at");--> statement-breakpoint
CREATE INDEX "metric_points_name_agent_at_idx" ON "metric_points" USING btree ("name","agent","at");--> statement-breakpoint
CREATE INDEX "metric_points_recorded_idx" ON "metric_points" USING btree ("recorded_at");--> statement-breakpoint
CREATE INDEX "runs_failed_finished_idx" ON "runs" USING btree ("finished_at") WHERE "runs"."status" = 'failed';--> statement-breakpoint
CREATE INDEX "runs_created_idx" ON "runs" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "runs_status_created_idx" ON "runs" USING btree ("status","created_at","id");--> statement-breakpoint
CREATE INDEX "runs_workflow_created_idx" ON "runs" USING btree ("workflow","created_at","id");--> statement-breakpoint
CREATE INDEX "steps_ready_idx" ON "steps" USING btree ("priority" DESC NULLS FIRST,"ready_at") WHERE "steps"."status" = 'queued';--> statement-breakpoint
CREATE INDEX "outbox_created_idx" ON "outbox" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "projects_created_idx" ON "projects" USING btree ("created_at");--> statement-breakpoint
-- The five default alert rules (PRODUCT.md C6). Operators may change or disable them; the builtin key keeps this seed idempotent.
INSERT INTO "alert_rules" ("name", "description", "source", "metric", "aggregate", "condition", "group_by", "comparator", "threshold", "window_seconds", "min_count", "severity", "cooldown_seconds", "escalate_after_minutes", "escalate_to", "channels", "builtin") VALUES
  ('Slow agent responses', 'An agent''s 95th percentile response time is above 10 s over 5 minutes.', 'metric', 'agent.call.duration', 'p95', NULL, 'agent', 'gt', 10000, 300, 1, 'warning', 900, 30, 'critical', '{slack,email}', 'slow_agent'),
  ('High error rate', 'More than 10 % of an agent''s calls failed over 5 minutes (at least 5 calls).', 'metric', 'agent.call.duration', 'error_rate', NULL, 'agent', 'gt', 0.1, 300, 5, 'warning', 900, 30, 'critical', '{slack,email}', 'error_rate'),
  ('Agent down', 'An agent''s circuit is open or its health probe fails.', 'condition', NULL, NULL, 'agent_down', 'agent', 'gte', 1, 300, 1, 'critical', 900, 30, 'critical', '{slack,email}', 'agent_down'),
  ('Queue backlog', 'The oldest ready step has waited more than 5 minutes (value in seconds).', 'condition', NULL, NULL, 'queue_backlog', NULL, 'gt', 300, 300, 1, 'warning', 900, 30, 'critical', '{slack,email}', 'queue_backlog'),
  ('Failed runs', 'At least one run failed in the last 5 minutes.', 'condition', NULL, NULL, 'failed_runs', NULL, 'gt', 0, 300, 1, 'warning', 900, 60, 'critical', '{slack,email}', 'failed_runs')
ON CONFLICT ("builtin") DO NOTHING;
