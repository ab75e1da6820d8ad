CREATE TABLE "site_slugs" (
	"slug" text PRIMARY KEY NOT NULL,
	"project_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "site_slugs_project_id_key" UNIQUE("project_id")
);
--> statement-breakpoint
ALTER TABLE "site_slugs" ADD CONSTRAINT "site_slugs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE set null ON UPDATE no action;