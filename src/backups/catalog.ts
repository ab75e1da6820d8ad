/**
 * What a backup covers, read from Postgres's catalog rather than listed by hand: every table of
 * the `public` schema (a table added by a later migration is backed up without a change here)
 * but the migrator's own `schema_migrations`, with its primary key (the keyset of its chunks),
 * its columns (identity and generated ones are treated apart on restore), its foreign keys (the
 * order of export and restore) and every sequence.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";

export const EXCLUDED_TABLES = new Set(["schema_migrations"]);

export interface ForeignKey {
  columns: string[];
  parent: string;
  parentColumns: string[];
}

export interface TableInfo {
  name: string;
  primaryKey: string[];
  /** Columns in order; `generated` ones are never inserted, `identity` ones need OVERRIDING SYSTEM VALUE. */
  columns: { name: string; identity: boolean; generated: boolean; notNull: boolean }[];
  foreignKeys: ForeignKey[];
  /** 0 for a table without a parent, else one more than its deepest parent (self references ignored). */
  level: number;
  /**
   * The foreign key that puts the table in its parent's family: the first one (by name) to
   * another table whose columns are all NOT NULL, so every row has that parent. Absent: the
   * table is the root of a family. A family is exported together, chunk by chunk of its root.
   */
  familyKey?: ForeignKey;
}

/** A quoted identifier (names come from the catalog, and are quoted all the same). */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export async function readTables(db: Db): Promise<TableInfo[]> {
  const tables = await queryRows<{ name: string }>(
    db,
    sql`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p') order by c.relname`,
  );
  const columns = await queryRows<{
    table: string;
    name: string;
    identity: string;
    generated: string;
    not_null: boolean;
  }>(
    db,
    sql`select c.relname as table, a.attname as name, a.attidentity::text as identity, a.attgenerated::text as generated, a.attnotnull as not_null
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
        order by c.relname, a.attnum`,
  );
  const keys = await queryRows<{ table: string; name: string; position: number }>(
    db,
    sql`select c.relname as table, a.attname as name, array_position(i.indkey::int2[], a.attnum) as position
        from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey::int2[])
        where n.nspname = 'public' and i.indisprimary order by c.relname, 3`,
  );
  const fks = await queryRows<{ table: string; parent: string; columns: string[]; parent_columns: string[] }>(
    db,
    sql`select c.relname as table, p.relname as parent,
          array(select a.attname from unnest(k.conkey) with ordinality u(num, ord) join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.num order by u.ord)::text[] as columns,
          array(select a.attname from unnest(k.confkey) with ordinality u(num, ord) join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.num order by u.ord)::text[] as parent_columns
        from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid
        join pg_namespace n on n.oid = c.relnamespace
        where k.contype = 'f' and n.nspname = 'public' order by c.relname, k.conname`,
  );
  const infos = new Map<string, TableInfo>();
  for (const { name } of tables) {
    if (EXCLUDED_TABLES.has(name)) continue;
    infos.set(name, { name, primaryKey: [], columns: [], foreignKeys: [], level: 0 });
  }
  for (const c of columns)
    infos.get(c.table)?.columns.push({
      name: c.name,
      identity: c.identity !== "",
      generated: c.generated !== "",
      notNull: c.not_null,
    });
  for (const k of keys) infos.get(k.table)?.primaryKey.push(k.name);
  for (const f of fks)
    infos.get(f.table)?.foreignKeys.push({ columns: f.columns, parent: f.parent, parentColumns: f.parent_columns });
  // Levels: a parent's level is settled before its children's (no FK circles between tables here;
  // one would be cut, and its rows restored by the orphan rule instead).
  const level = (name: string, seen: Set<string>): number => {
    const info = infos.get(name);
    if (!info || seen.has(name)) return -1;
    seen.add(name);
    const parents = info.foreignKeys.filter((f) => f.parent !== name).map((f) => level(f.parent, seen) + 1);
    seen.delete(name);
    return Math.max(0, ...parents);
  };
  for (const info of infos.values()) {
    info.level = level(info.name, new Set());
    const required = (f: ForeignKey) =>
      f.parent !== info.name &&
      infos.has(f.parent) &&
      f.columns.every((name) => info.columns.find((c) => c.name === name)?.notNull);
    info.familyKey = info.foreignKeys.find(required);
  }
  return [...infos.values()].sort((a, b) => a.level - b.level || a.name.localeCompare(b.name));
}

export interface SequenceValue {
  name: string;
  /** `last_value` as text (bigint), or null when the sequence was never used. */
  value: string | null;
}

export async function readSequences(db: Db): Promise<SequenceValue[]> {
  const rows = await queryRows<{ name: string; value: string | number | null }>(
    db,
    sql`select sequencename as name, last_value::text as value from pg_sequences where schemaname = 'public' order by sequencename`,
  );
  return rows.map((r) => ({ name: r.name, value: r.value === null ? null : String(r.value) }));
}

/** The last migration applied: the backup's schema version. */
export async function schemaVersion(db: Db): Promise<string> {
  const [row] = await queryRows<{ tag: string }>(db, sql`select tag from schema_migrations order by tag desc limit 1`);
  if (!row) throw new Error("the database has no applied migration (schema_migrations is empty)");
  return row.tag;
}
