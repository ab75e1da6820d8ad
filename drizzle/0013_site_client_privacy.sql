ALTER TABLE "projects" ALTER COLUMN "brief" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "brief_sealed" text;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "contact_email_hash" text;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "erased_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "projects_contact_email_hash_idx" ON "projects" USING btree ("contact_email_hash");