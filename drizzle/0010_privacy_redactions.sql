CREATE TABLE "privacy_redactions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "privacy_redactions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"shop_domain" text NOT NULL,
	"scope" text NOT NULL,
	"shopify_customer_id" text,
	"shopify_order_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"redacted_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "privacy_redactions_customer_idx" ON "privacy_redactions" USING btree ("shop_domain","shopify_customer_id");--> statement-breakpoint
CREATE INDEX "privacy_redactions_order_ids_idx" ON "privacy_redactions" USING gin ("shopify_order_ids");--> statement-breakpoint
CREATE INDEX "privacy_redactions_shop_idx" ON "privacy_redactions" USING btree ("shop_domain","redacted_at") WHERE "privacy_redactions"."scope" = 'shop';