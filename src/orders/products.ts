/**
 * Products and stock from Shopify: `products/update` upserts each variant, `inventory_levels/update`
 * sets one location's stock. Both apply only data newer than what is stored (Shopify delivers
 * out of order and retries late), per variant for products and per location for levels.
 *
 * Stock alerts: a variant whose total stock falls below its threshold publishes ONE
 * `product.stock_alert` (the flag `stock_alerted` is set in the same statement that decides, so
 * concurrent deliveries cannot alert twice); it may alert again once its stock has come back to
 * the threshold or above. Events carry product ids, SKUs and counts: no personal data exists here.
 */
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import { publishEventInTx } from "@/engine/events";

const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,30}$/)]).transform(String);
const time = z.iso.datetime({ offset: true }).nullish();

export const productUpdateSchema = z.object({
  id,
  title: z.string().max(500),
  updated_at: time,
  variants: z
    .array(
      z.object({
        id,
        sku: z.string().max(200).nullish(),
        title: z.string().max(500).nullish(),
        price: z
          .union([z.string(), z.number()])
          .transform(String)
          .pipe(z.string().regex(/^\d{1,12}(\.\d{1,2})?$/))
          .nullish(),
        inventory_item_id: id.nullish(),
        inventory_quantity: z.number().int().nullish(),
        updated_at: time,
      }),
    )
    .max(2000),
});

export const inventoryLevelSchema = z.object({
  inventory_item_id: id,
  location_id: id,
  available: z.number().int().nullable(),
  updated_at: time,
});

interface StockChange {
  id: string;
  sku: string | null;
  available: number;
  stock_threshold: number;
}

/** Sets `stock_alerted` on the given products now under their threshold, and publishes one alert each. */
async function alertLowStock(tx: Db, shopDomain: string, ids: string[], dedupe: string): Promise<number> {
  if (ids.length === 0) return 0;
  await tx.execute(
    sql`update products set stock_alerted = false where id = any(${sql.param(ids)}::uuid[]) and stock_alerted and available >= stock_threshold`,
  );
  const low = await queryRows<StockChange>(
    tx,
    sql`update products set stock_alerted = true
        where id = any(${sql.param(ids)}::uuid[]) and not stock_alerted and available < stock_threshold
        returning id, sku, available, stock_threshold`,
  );
  for (const p of low) {
    await publishEventInTx(tx, {
      topic: "product.stock_alert",
      data: { productId: p.id, shopDomain, sku: p.sku, available: p.available, threshold: p.stock_threshold },
      source: "shopify",
      dedupeKey: `${dedupe}:${p.id}`,
    });
  }
  return low.length;
}

/**
 * products/update. A variant's stock here is Shopify's total (`inventory_quantity`); it is used
 * only while no per-location level has been received for it (levels are more precise).
 */
export async function applyProductUpdate(
  tx: Db,
  shopDomain: string,
  body: unknown,
  dedupe: string,
  triggeredAt: string | null,
): Promise<string> {
  const parsed = productUpdateSchema.safeParse(body);
  if (!parsed.success)
    throw new Error(
      `the product payload is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  const product = parsed.data;
  const touched: string[] = [];
  for (const v of product.variants) {
    const at = v.updated_at ?? product.updated_at ?? triggeredAt;
    const title = v.title && v.title !== "Default Title" ? `${product.title} - ${v.title}` : product.title;
    const rows = await queryRows<{ id: string }>(
      tx,
      sql`insert into products (shop_domain, shopify_product_id, shopify_variant_id, inventory_item_id, sku, title, price, available, source_updated_at)
          values (${shopDomain}, ${product.id}, ${v.id}, ${v.inventory_item_id ?? null}, ${v.sku ?? null}, ${title}, ${v.price ?? null},
                  ${v.inventory_quantity ?? 0}, ${at}::timestamptz)
          on conflict (shop_domain, shopify_variant_id) do update set
            inventory_item_id = excluded.inventory_item_id, sku = excluded.sku, title = excluded.title, price = excluded.price,
            available = case when products.levels = '{}'::jsonb then excluded.available else products.available end,
            source_updated_at = excluded.source_updated_at, updated_at = now()
          where products.source_updated_at is null or excluded.source_updated_at is null or excluded.source_updated_at > products.source_updated_at
          returning id`,
    );
    if (rows[0]) touched.push(rows[0].id);
  }
  const alerts = await alertLowStock(tx, shopDomain, touched, dedupe);
  return `${touched.length} variant(s) updated, ${alerts} stock alert(s)`;
}

/** inventory_levels/update: one location's stock of one inventory item; the total is their sum. */
export async function applyInventoryLevel(
  tx: Db,
  shopDomain: string,
  body: unknown,
  dedupe: string,
  triggeredAt: string | null,
): Promise<string> {
  const parsed = inventoryLevelSchema.safeParse(body);
  if (!parsed.success)
    throw new Error(
      `the inventory level payload is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  const level = parsed.data;
  const at = level.updated_at ?? triggeredAt ?? new Date().toISOString();
  // levels: {"<location>": {"available": n, "at": "<iso>"}}; an older level for a location is ignored.
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`update products p set levels = n.levels, updated_at = now(),
          available = (select coalesce(sum((e.value ->> 'available')::int), 0) from jsonb_each(n.levels) e)
        from (
          select id, jsonb_set(levels, array[${level.location_id}::text], jsonb_build_object('available', ${level.available ?? 0}::int, 'at', ${at}::text)) as levels
          from products
          where shop_domain = ${shopDomain} and inventory_item_id = ${level.inventory_item_id}
            and (levels -> ${level.location_id}::text is null or (levels -> ${level.location_id}::text ->> 'at')::timestamptz < ${at}::timestamptz)
        ) n
        where p.id = n.id returning p.id`,
  );
  const alerts = await alertLowStock(
    tx,
    shopDomain,
    rows.map((r) => r.id),
    dedupe,
  );
  if (rows.length === 0) return "stale or unknown inventory item: nothing changed";
  return `stock of ${rows.length} variant(s) updated, ${alerts} stock alert(s)`;
}
