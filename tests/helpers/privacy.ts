/** Privacy checks over the whole database: what a dump of every table would show. */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";

/** `table: needle` for every needle (case-insensitive) found in the text of any row of any table. */
export async function personalDataFound(db: Db, needles: readonly string[]): Promise<string[]> {
  const tables = await queryRows<{ table_name: string }>(
    db,
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  const found: string[] = [];
  for (const { table_name } of tables) {
    const [row] = await queryRows<{ dump: string | null }>(
      db,
      sql`select string_agg(t::text, ' ') as dump from ${sql.identifier(table_name)} t`,
    );
    const dump = row?.dump?.toLowerCase() ?? "";
    for (const needle of needles) if (dump.includes(needle.toLowerCase())) found.push(`${table_name}: ${needle}`);
  }
  return found;
}
