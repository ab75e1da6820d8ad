CREATE TABLE "products" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"shop_domain" text NOT NULL,
	"shopify_product_id" text NOT NULL,
	"shopify_variant_id" text NOT NULL,
	"inventory_item_id" text,
	"sku" text,
	"title" text NOT NULL,
	"price" numeric(14, 2),
	"levels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"available" integer DEFAULT 0 NOT NULL,
	"stock_threshold" integer DEFAULT 5 NOT NULL,
	"stock_alerted" boolean DEFAULT false NOT NULL,
	"source_updated_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "products_variant_idx" ON "products" USING btree ("shop_domain","shopify_variant_id");--> statement-breakpoint
CREATE INDEX "products_inventory_item_idx" ON "products" USING btree ("shop_domain","inventory_item_id");--> statement-breakpoint
CREATE INDEX "products_sku_idx" ON "products" USING btree ("shop_domain","sku");