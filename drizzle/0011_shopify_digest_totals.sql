ALTER TABLE "orders" ADD COLUMN "total_discounts" numeric(14, 2);--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "total_shipping" numeric(14, 2);--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "total_tax" numeric(14, 2);--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "taxes_included" boolean;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "total_extras" numeric(14, 2);--> statement-breakpoint
ALTER TABLE "shopify_deliveries" ADD COLUMN "body_digest" text;--> statement-breakpoint
CREATE UNIQUE INDEX "shopify_deliveries_digest_idx" ON "shopify_deliveries" USING btree ("body_digest");--> statement-breakpoint
CREATE INDEX "shopify_deliveries_status_idx" ON "shopify_deliveries" USING btree ("status","id");