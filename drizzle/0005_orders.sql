CREATE TABLE "orders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"shop_domain" text NOT NULL,
	"shopify_id" text NOT NULL,
	"name" text NOT NULL,
	"currency" text NOT NULL,
	"total_price" numeric(14, 2) NOT NULL,
	"financial_status" text,
	"status" text DEFAULT 'open' NOT NULL,
	"line_items" jsonb NOT NULL,
	"shopify_customer_id" text,
	"customer_name" text,
	"customer_email" text,
	"customer_phone" text,
	"shipping_address" text,
	"customer_email_hash" text,
	"source_updated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "shopify_deliveries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "shopify_deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"shop_domain" text NOT NULL,
	"webhook_id" text NOT NULL,
	"topic" text NOT NULL,
	"event_id" text,
	"triggered_at" timestamp with time zone,
	"api_version" text,
	"payload" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"next_attempt_at" timestamp with time zone,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "orders_shopify_idx" ON "orders" USING btree ("shop_domain","shopify_id");--> statement-breakpoint
CREATE INDEX "orders_created_idx" ON "orders" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "orders_status_created_idx" ON "orders" USING btree ("status","created_at","id");--> statement-breakpoint
CREATE INDEX "orders_email_hash_idx" ON "orders" USING btree ("customer_email_hash");--> statement-breakpoint
CREATE INDEX "orders_customer_idx" ON "orders" USING btree ("shop_domain","shopify_customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "shopify_deliveries_webhook_idx" ON "shopify_deliveries" USING btree ("shop_domain","webhook_id");--> statement-breakpoint
CREATE INDEX "shopify_deliveries_pending_idx" ON "shopify_deliveries" USING btree ("received_at") WHERE "shopify_deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "shopify_deliveries_received_idx" ON "shopify_deliveries" USING btree ("received_at");