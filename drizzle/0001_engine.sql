CREATE SEQUENCE "public"."step_fence_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"topic" text NOT NULL,
	"data" jsonb,
	"source" text NOT NULL,
	"dedupe_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_dedupe_key_unique" UNIQUE("dedupe_key")
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workflow" text NOT NULL,
	"version" integer NOT NULL,
	"status" text NOT NULL,
	"priority" smallint DEFAULT 1 NOT NULL,
	"input" jsonb,
	"output" jsonb,
	"error" jsonb,
	"trigger" jsonb NOT NULL,
	"idempotency_key" text,
	"concurrency_key" text,
	"steps_remaining" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "step_attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "step_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"step_id" bigint NOT NULL,
	"attempt" integer NOT NULL,
	"fence" bigint NOT NULL,
	"outcome" text NOT NULL,
	"error" jsonb,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone NOT NULL,
	"duration_ms" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "steps" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "steps_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" uuid NOT NULL,
	"name" text NOT NULL,
	"item_index" integer DEFAULT -1 NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"priority" smallint DEFAULT 1 NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer NOT NULL,
	"timeout_ms" integer NOT NULL,
	"deps_remaining" integer DEFAULT 0 NOT NULL,
	"deps_succeeded" integer DEFAULT 0 NOT NULL,
	"deps_failed" integer DEFAULT 0 NOT NULL,
	"items_remaining" integer,
	"item" jsonb,
	"input" jsonb,
	"output" jsonb,
	"error" jsonb,
	"progress" jsonb,
	"ready_at" timestamp with time zone,
	"lease_expires_at" timestamp with time zone,
	"fence" bigint,
	"wait_topic" text,
	"wait_since" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "workflow_definitions" (
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"source" text NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text,
	CONSTRAINT "workflow_definitions_name_version_pk" PRIMARY KEY("name","version")
);
--> statement-breakpoint
ALTER TABLE "step_attempts" ADD CONSTRAINT "step_attempts_step_id_steps_id_fk" FOREIGN KEY ("step_id") REFERENCES "public"."steps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "steps" ADD CONSTRAINT "steps_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "events_topic_id_idx" ON "events" USING btree ("topic","id");--> statement-breakpoint
CREATE UNIQUE INDEX "runs_idempotency_idx" ON "runs" USING btree ("workflow","idempotency_key");--> statement-breakpoint
CREATE INDEX "runs_created_idx" ON "runs" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_status_created_idx" ON "runs" USING btree ("status","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_workflow_created_idx" ON "runs" USING btree ("workflow","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_concurrency_idx" ON "runs" USING btree ("workflow","concurrency_key","status") WHERE "runs"."concurrency_key" is not null;--> statement-breakpoint
CREATE INDEX "step_attempts_step_idx" ON "step_attempts" USING btree ("step_id","attempt");--> statement-breakpoint
CREATE UNIQUE INDEX "steps_run_name_idx" ON "steps" USING btree ("run_id","name","item_index");--> statement-breakpoint
CREATE INDEX "steps_ready_idx" ON "steps" USING btree ("priority" DESC NULLS LAST,"ready_at") WHERE "steps"."status" = 'queued';--> statement-breakpoint
CREATE INDEX "steps_due_idx" ON "steps" USING btree ("ready_at") WHERE "steps"."status" = 'waiting';--> statement-breakpoint
CREATE INDEX "steps_lease_idx" ON "steps" USING btree ("lease_expires_at") WHERE "steps"."status" = 'running';--> statement-breakpoint
CREATE INDEX "steps_wait_topic_idx" ON "steps" USING btree ("wait_topic") WHERE "steps"."status" = 'waiting' and "steps"."wait_topic" is not null;