/**
 * How a backup is cut into chunks that each fit a step of a tick.
 *
 * Tables are grouped in families: a table whose required foreign key (NOT NULL) points to another
 * table belongs to that table's family (`steps` and `step_attempts` to `runs`, `site_files` and
 * `sites` to `site_slugs`), the rest are roots. A chunk is a keyset range of a root's primary key,
 * `(after, until]`, and exports the root rows in it together with every descendant row under them,
 * in ONE read-only repeatable-read transaction: whatever moves while the backup runs, a run is
 * saved with the steps and attempts it had at one instant, so its counters agree with its steps.
 *
 * Between families there is no common instant (a serverless backup cannot hold one transaction
 * for its whole length). Families are exported in phases, parents' families first (projects
 * before site addresses, suppliers before orders' shipments), so a row added during the backup
 * can only lack its parent, never the reverse: the restore skips such a row and counts it.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { ident, type ForeignKey, type TableInfo } from "./catalog";

/** The phases of workflows/platform_backup.yaml (export_0 … export_3); deeper families go in the last. */
export const EXPORT_PHASES = 4;

export interface Family {
  root: TableInfo;
  /** Root first, then descendants, parents before children. */
  members: TableInfo[];
  phase: number;
}

export interface Chunk {
  /** The root table of the family. */
  family: string;
  /** The chunk's number within its family: every member's part of this chunk has this number. */
  part: number;
  /** Exclusive lower bound of the root's key, as a JSON object of its primary key columns (null: from the start). */
  after: string | null;
  /** Inclusive upper bound (null: to the end, rows added meanwhile included). */
  until: string | null;
}

export function families(tables: readonly TableInfo[]): Family[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const rootOf = (table: TableInfo): TableInfo => {
    const seen = new Set<string>();
    let current = table;
    while (current.familyKey && !seen.has(current.name)) {
      seen.add(current.name);
      const parent = byName.get(current.familyKey.parent);
      if (!parent || seen.has(parent.name)) break;
      current = parent;
    }
    return current;
  };
  const grouped = new Map<string, TableInfo[]>();
  for (const table of tables) {
    const root = rootOf(table);
    grouped.set(root.name, [...(grouped.get(root.name) ?? []), table]);
  }
  const familyOf = new Map<string, string>();
  for (const [root, members] of grouped) for (const m of members) familyOf.set(m.name, root);
  const phaseOf = new Map<string, number>();
  const phase = (root: string, seen: Set<string>): number => {
    const known = phaseOf.get(root);
    if (known !== undefined) return known;
    if (seen.has(root)) return 0;
    seen.add(root);
    let value = 0;
    for (const member of grouped.get(root) ?? [])
      for (const fk of member.foreignKeys) {
        const other = familyOf.get(fk.parent);
        if (other && other !== root) value = Math.max(value, phase(other, seen) + 1);
      }
    seen.delete(root);
    phaseOf.set(root, value);
    return value;
  };
  return [...grouped.entries()]
    .map(([root, members]) => ({
      root: byName.get(root)!,
      // A member's root (the row's ancestor) and its chain are found by its `familyKey`; sorting
      // by level puts every table after its parent.
      members: [...members].sort((a, b) =>
        a.name === root ? -1 : b.name === root ? 1 : a.level - b.level || a.name.localeCompare(b.name),
      ),
      phase: Math.min(EXPORT_PHASES - 1, phase(root, new Set())),
    }))
    .sort((a, b) => a.phase - b.phase || a.root.name.localeCompare(b.root.name));
}

/** The chain of foreign keys from a member up to its family's root (empty for the root). */
export function chainOf(member: TableInfo, byName: ReadonlyMap<string, TableInfo>, root: string): ForeignKey[] {
  const chain: ForeignKey[] = [];
  let current: TableInfo | undefined = member;
  while (current && current.name !== root && current.familyKey) {
    chain.push(current.familyKey);
    current = byName.get(current.familyKey.parent);
  }
  return chain;
}

const keyObject = (alias: string, columns: readonly string[]) =>
  `json_build_object(${columns.map((c) => `'${c.replaceAll("'", "''")}', ${alias}.${ident(c)}`).join(", ")})::text`;
const tuple = (alias: string, columns: readonly string[]) =>
  `(${columns.map((c) => `${alias}.${ident(c)}`).join(", ")})`;

/** The condition on the root's alias `r` for a chunk's range (the bounds are bound parameters). */
export function rangeCondition(root: TableInfo, chunk: Pick<Chunk, "after" | "until">) {
  if (root.primaryKey.length === 0) return sql`true`;
  const key = tuple("r", root.primaryKey);
  const bound = (json: string) =>
    sql`(select ${sql.raw(root.primaryKey.map(ident).join(", "))} from json_populate_record(null::${sql.raw(ident(root.name))}, ${json}::json))`;
  const parts = [sql`true`];
  if (chunk.after !== null) parts.push(sql`${sql.raw(key)} > ${bound(chunk.after)}`);
  if (chunk.until !== null) parts.push(sql`${sql.raw(key)} <= ${bound(chunk.until)}`);
  return sql.join(parts, sql` and `);
}

/**
 * The rows of one member for one chunk, as `row_to_json` text, ordered by the member's key:
 * the root's rows in the range, or a descendant's rows whose chain of parents ends in it.
 */
export async function chunkRows(
  db: Db,
  member: TableInfo,
  chain: readonly ForeignKey[],
  root: TableInfo,
  chunk: Pick<Chunk, "after" | "until">,
): Promise<string[]> {
  // Nested `in (select …)` from the member up to the root: t0 is the member, tN the root (alias r).
  let condition = rangeCondition(root, chunk);
  for (let i = chain.length - 1; i >= 0; i--) {
    const fk = chain[i]!;
    const parentAlias = i === chain.length - 1 ? "r" : `t${i + 1}`;
    const childAlias = `t${i}`;
    condition = sql`${sql.raw(tuple(childAlias, fk.columns))} in (select ${sql.raw(
      fk.parentColumns.map((c) => `${parentAlias}.${ident(c)}`).join(", "),
    )} from ${sql.raw(ident(fk.parent))} ${sql.raw(parentAlias)} where ${condition})`;
  }
  const alias = chain.length === 0 ? "r" : "t0";
  const order = member.primaryKey.length > 0 ? sql.raw(` order by ${tuple(alias, member.primaryKey)}`) : sql``;
  const rows = await queryRows<{ line: string }>(
    db,
    sql`select row_to_json(${sql.raw(alias)})::text as line from ${sql.raw(ident(member.name))} ${sql.raw(alias)} where ${condition}${order}`,
  );
  return rows.map((r) => r.line);
}

/** Row counts of every table (the plan sizes each family's chunks by its rows per root row). */
export async function tableCounts(db: Db, tables: readonly TableInfo[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const t of tables) {
    const [row] = await queryRows<{ n: string | number }>(db, sql`select count(*) as n from ${sql.raw(ident(t.name))}`);
    counts.set(t.name, Number(row?.n ?? 0));
  }
  return counts;
}

/**
 * The chunks of each family: its root's key cut every `rootsPerChunk` rows, so a chunk holds about
 * `chunkRows` rows of the family; the last chunk is open-ended. A phase never has more chunks than
 * `maxChunks` (the for_each cap): its chunks grow instead.
 */
export async function planChunks(
  db: Db,
  all: readonly Family[],
  counts: ReadonlyMap<string, number>,
  chunkRows: number,
  maxChunks: number,
): Promise<Chunk[][]> {
  const phases: Chunk[][] = Array.from({ length: EXPORT_PHASES }, () => []);
  for (let p = 0; p < EXPORT_PHASES; p++) {
    const inPhase = all.filter((f) => f.phase === p);
    if (inPhase.length === 0) continue;
    const familyRows = (f: Family) => f.members.reduce((sum, m) => sum + (counts.get(m.name) ?? 0), 0);
    const total = inPhase.reduce((sum, f) => sum + familyRows(f), 0);
    const budget = Math.max(1, maxChunks - inPhase.length);
    const perChunk = Math.max(chunkRows, Math.ceil(total / budget));
    for (const family of inPhase) {
      const roots = counts.get(family.root.name) ?? 0;
      const rows = familyRows(family);
      const rootsPerChunk = Math.max(1, Math.floor((perChunk * Math.max(roots, 1)) / Math.max(rows, 1)));
      let bounds: string[] = [];
      if (family.root.primaryKey.length > 0 && roots > rootsPerChunk) {
        const key = family.root.primaryKey.map(ident).join(", ");
        const rowsOut = await queryRows<{ key: string }>(
          db,
          sql`select ${sql.raw(keyObject("x", family.root.primaryKey))} as key
              from (select ${sql.raw(key)}, row_number() over (order by ${sql.raw(key)}) as rn from ${sql.raw(ident(family.root.name))}) x
              where x.rn % ${rootsPerChunk} = 0 order by x.rn`,
        );
        bounds = rowsOut.map((r) => r.key);
      }
      let after: string | null = null;
      bounds.forEach((until, part) => {
        phases[p]!.push({ family: family.root.name, part, after, until });
        after = until;
      });
      phases[p]!.push({ family: family.root.name, part: bounds.length, after, until: null });
    }
  }
  return phases;
}
