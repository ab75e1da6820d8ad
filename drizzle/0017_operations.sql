CREATE TABLE "agent_cache_entries" (
	"key" text PRIMARY KEY NOT NULL,
	"agent" text NOT NULL,
	"action" text NOT NULL,
	"version" integer NOT NULL,
	"input_hash" text NOT NULL,
	"output" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agent_action_timeouts" (
	"agent" text NOT NULL,
	"action" text NOT NULL,
	"timeout_ms" integer NOT NULL,
	"p99_ms" double precision NOT NULL,
	"samples" integer NOT NULL,
	"static_ms" integer NOT NULL,
	"floor_ms" integer NOT NULL,
	"ceiling_ms" integer NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agent_action_timeouts_agent_action_pk" PRIMARY KEY("agent","action")
);
--> statement-breakpoint
CREATE TABLE "agent_call_slots" (
	"agent" text NOT NULL,
	"slot" integer NOT NULL,
	"holder" text,
	"expires_at" timestamp with time zone,
	CONSTRAINT "agent_call_slots_agent_slot_pk" PRIMARY KEY("agent","slot")
);
--> statement-breakpoint
CREATE TABLE "agent_throttle_changes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "agent_throttle_changes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"agent" text NOT NULL,
	"from_limit" integer NOT NULL,
	"to_limit" integer NOT NULL,
	"reason" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agent_throttles" (
	"agent" text PRIMARY KEY NOT NULL,
	"concurrency" integer NOT NULL,
	"max_concurrency" integer NOT NULL,
	"decreased_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "retention_progress" (
	"table_name" text PRIMARY KEY NOT NULL,
	"retention_days" double precision,
	"cutoff" timestamp with time zone,
	"last_run_at" timestamp with time zone,
	"last_duration_ms" integer,
	"last_deleted" integer DEFAULT 0 NOT NULL,
	"last_detail" jsonb,
	"total_deleted" bigint DEFAULT 0 NOT NULL,
	"caught_up" boolean DEFAULT false NOT NULL,
	"oldest_at" timestamp with time zone,
	"oldest_prunable_at" timestamp with time zone,
	"note" text,
	"last_error" text,
	"claimed_until" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "backup_drills" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"backup_id" uuid,
	"status" text DEFAULT 'running' NOT NULL,
	"tables" integer DEFAULT 0 NOT NULL,
	"rows" bigint DEFAULT 0 NOT NULL,
	"error" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"duration_ms" integer
);
--> statement-breakpoint
CREATE TABLE "backup_parts" (
	"backup_id" uuid NOT NULL,
	"table_name" text NOT NULL,
	"part" integer NOT NULL,
	"file" text NOT NULL,
	"rows" integer NOT NULL,
	"bytes" integer NOT NULL,
	"sha256" text NOT NULL,
	"written_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "backup_parts_backup_id_table_name_part_pk" PRIMARY KEY("backup_id","table_name","part")
);
--> statement-breakpoint
CREATE TABLE "backups" (
	"id" uuid PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"trigger" text NOT NULL,
	"requested_by" text,
	"schema_version" text NOT NULL,
	"destinations" jsonb NOT NULL,
	"tables" integer DEFAULT 0 NOT NULL,
	"rows" bigint DEFAULT 0 NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"parts" integer DEFAULT 0 NOT NULL,
	"manifest_sha256" text,
	"verification" text DEFAULT 'pending' NOT NULL,
	"verified_at" timestamp with time zone,
	"error" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"duration_ms" integer
);
--> statement-breakpoint
ALTER TABLE "backup_parts" ADD CONSTRAINT "backup_parts_backup_id_backups_id_fk" FOREIGN KEY ("backup_id") REFERENCES "public"."backups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agent_cache_entries_action_idx" ON "agent_cache_entries" USING btree ("agent","action");--> statement-breakpoint
CREATE INDEX "agent_cache_entries_expires_idx" ON "agent_cache_entries" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "agent_throttle_changes_agent_idx" ON "agent_throttle_changes" USING btree ("agent","at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "backup_drills_started_idx" ON "backup_drills" USING btree ("started_at","id");--> statement-breakpoint
CREATE INDEX "backups_started_idx" ON "backups" USING btree ("started_at","id");--> statement-breakpoint
CREATE INDEX "backups_status_idx" ON "backups" USING btree ("status","finished_at");--> statement-breakpoint
CREATE INDEX "events_created_idx" ON "events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "runs_finished_idx" ON "runs" USING btree ("finished_at") WHERE "runs"."status" in ('succeeded', 'failed', 'cancelled');--> statement-breakpoint
CREATE INDEX "agent_calls_at_idx" ON "agent_calls" USING btree ("at");--> statement-breakpoint
CREATE INDEX "projects_run_idx" ON "projects" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "event_deliveries_event_idx" ON "event_deliveries" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "event_deliveries_done_idx" ON "event_deliveries" USING btree ("created_at") WHERE "event_deliveries"."status" <> 'pending';