/**
 * Key rotation: rewrites every encrypted value and search hash that is under an older key
 * version with the current one, table by table, while the application keeps running.
 *
 * How it stays out of the application's way (no downtime):
 * - keyset batches (`id > last order by id limit N`), never one big statement or an OFFSET;
 * - candidates are chosen in SQL from the version each token and hash names, so rows already
 *   current are neither read back nor locked, and a second run after a finished one is cheap;
 * - each batch is its own short transaction that locks its rows with `for update skip locked`,
 *   re-reads them under the lock (so a value the application just rewrote is never clobbered
 *   with an older one) and updates only the columns that changed;
 * - a row the application holds locked is not waited for: it is retried after the walk, a few
 *   times with growing pauses, and reported as `skipped` if still locked (run again later).
 *
 * A value that cannot be decrypted (not a token, unknown version, tampered) is left as it is and
 * reported by row id and column (ids only: never the value); the other columns of its row are
 * still rotated.
 *
 * Search hashes (see search-hash.ts) are rotated in the same row update as their source column,
 * since the plaintext is at hand then: a hash under an older version is recomputed, a missing
 * hash of a non-null value is filled in, and the hash of a value that was erased (null) is
 * erased too (a leftover HMAC of an email still lets one confirm that email).
 *
 * Order of operations for an operator: 1. add `N+1:<new key>` to ENCRYPTION_KEYS on EVERY
 * instance (an instance still on the old list would write old-version tokens and could not read
 * new ones); 2. run `npm run keys:rotate` until it reports 0 rows remaining (a fresh count at
 * the end of each table, which also catches rows written behind the walk); 3. remove the old
 * version. The keyring is read once per run, so a configuration change mid-run has no
 * effect on it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { sql, type SQL } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { decryptWith, encryptUnder, keyVersionOf } from "./crypto";
import { DecryptionError, type DecryptionFailure } from "./errors";
import { getKeyring, type Keyring } from "./keys";
import { normalizeForSearch, searchHashUnder, searchHashVersionOf, type SearchHashKind } from "./search-hash";

export interface EncryptedColumnSpec {
  /** The table (`orders`, or schema-qualified `public.orders`). */
  table: string;
  /**
   * A unique key of the table that keyset pagination walks, of a type whose text form casts
   * back to it (int, bigint, uuid, text): ids travel as text between the batches.
   */
  idColumn: string;
  /**
   * Text columns holding `encryptField` tokens, each with the context it was encrypted under.
   * `plaintextAllowed`: the column may also hold plaintext on purpose (e.g. the outbox, where
   * only personal messages are encrypted). Then only values starting with `enc:v` are
   * candidates (rotated, or reported if unreadable); any other value is neither rotated nor a
   * failure. Without it, a non-null value that is not a token is a failure ("malformed").
   */
  columns: { name: string; context: string; plaintextAllowed?: boolean }[];
  /**
   * Text columns holding `searchHash` values of one of `columns` (`source`), with the kind hashed.
   * `extract`: the source holds a document (e.g. a whole order form as JSON) and the hashed value
   * is one field of it; null when the document has none.
   */
  hashColumns?: {
    name: string;
    source: string;
    kind: SearchHashKind;
    extract?: (plaintext: string) => string | null;
  }[];
}

export interface RotationProgress {
  table: string;
  /** Candidate rows looked at so far (locked and re-read). */
  examined: number;
  /** Rows rewritten so far. */
  updated: number;
  /** Values that could not be decrypted so far. */
  failed: number;
  /** Rows waiting for a lock held by someone else. */
  deferred: number;
}

export interface RotateOptions {
  /** Rows per batch, each batch one transaction (default 100). */
  batchSize?: number;
  /** Called after every batch. */
  onProgress?: (progress: RotationProgress) => void;
  /** Retry rounds for rows locked by others during the walk (default 5)... */
  lockRetries?: number;
  /** ...the first after this pause, each next one after twice the previous (default 100 ms). */
  lockRetryDelayMs?: number;
}

export interface RotationFailure {
  id: string;
  column: string;
  reason: DecryptionFailure;
}

export interface RotationResult {
  table: string;
  /** Rows rewritten. */
  rows: number;
  /** Values that could not be decrypted and were left as they are. */
  failed: number;
  /** The first failures (at most MAX_REPORTED_FAILURES), by row id and column. */
  failures: RotationFailure[];
  /** Rows still locked by other transactions after every retry: run the rotation again. */
  skipped: number;
  /**
   * Rows still holding anything under an older version when the run ended, counted afresh: the
   * unreadable and skipped ones, plus any an instance with an outdated ENCRYPTION_KEYS wrote
   * behind the walk. Zero means the old versions can be removed.
   */
  remaining: number;
}

const MAX_REPORTED_FAILURES = 100;
/** How every token starts (`enc:v<version>:…`); what a `plaintextAllowed` column's candidates start with. */
const TOKEN_PREFIX = "enc:v";
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Alias of the row id in our selects; cannot clash with a registered column (they are checked). */
const ROW_ID = "__rotation_row_id";

/** Throws on a spec that could rotate the wrong thing (rotateKeys calls it before any query). */
export function validateSpecs(specs: readonly EncryptedColumnSpec[]): void {
  const tables = new Set<string>();
  for (const spec of specs) {
    const label = `EncryptedColumnSpec ${JSON.stringify(spec.table)}`;
    const parts = spec.table.split(".");
    if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p)))
      throw new Error(`${label}: the table is not a plain identifier`);
    if (tables.has(spec.table)) throw new Error(`${label}: the table is listed twice; put all its columns in one spec`);
    tables.add(spec.table);
    const names = [spec.idColumn, ...spec.columns.map((c) => c.name), ...(spec.hashColumns ?? []).map((h) => h.name)];
    for (const name of names) {
      if (!IDENTIFIER.test(name) || name === ROW_ID)
        throw new Error(`${label}: ${JSON.stringify(name)} is not a usable column name`);
    }
    if (new Set(names).size !== names.length)
      throw new Error(`${label}: a column is listed twice (or is the id column)`);
    if (spec.columns.length === 0) throw new Error(`${label}: no encrypted columns`);
    const contexts = new Set<string>();
    for (const column of spec.columns) {
      if (column.context.trim() === "") throw new Error(`${label}: column ${column.name} has no context`);
      if (contexts.has(column.context))
        throw new Error(`${label}: two columns share the context ${JSON.stringify(column.context)}`);
      contexts.add(column.context);
    }
    for (const hash of spec.hashColumns ?? []) {
      const source = spec.columns.find((c) => c.name === hash.source);
      if (!source) {
        throw new Error(
          `${label}: hash column ${hash.name} has source ${hash.source}, which is not one of its encrypted columns`,
        );
      }
      if (source.plaintextAllowed)
        throw new Error(`${label}: hash column ${hash.name} has source ${hash.source}, which allows plaintext`);
      if (hash.kind !== "email" && hash.kind !== "phone")
        throw new Error(`${label}: hash column ${hash.name} has an unknown kind`);
    }
  }
}

function tableRef(table: string): SQL {
  return sql.join(
    table.split(".").map((part) => sql.identifier(part)),
    sql.raw("."),
  );
}

/** SQL true for rows with anything to rewrite under `current`. Versions come from the tokens' text. */
function candidatePredicate(spec: EncryptedColumnSpec, current: number): SQL {
  const conditions: SQL[] = spec.columns.map((column) => {
    const c = sql.identifier(column.name);
    // Plaintext counts as version 0 (a candidate, reported as malformed) unless the column allows it.
    const tokenOnly = column.plaintextAllowed ? sql` and left(${c}, ${TOKEN_PREFIX.length}) = ${TOKEN_PREFIX}` : sql``;
    return sql`(${c} is not null${tokenOnly} and coalesce(substring(${c} from '^enc:v([0-9]{1,9}):')::int, 0) < ${current})`;
  });
  for (const hash of spec.hashColumns ?? []) {
    const h = sql.identifier(hash.name);
    const s = sql.identifier(hash.source);
    conditions.push(
      sql`((${s} is null and ${h} is not null) or (${s} is not null and coalesce(substring(${h} from '^h1:([0-9]{1,9}):')::int, 0) < ${current}))`,
    );
  }
  return sql.join(conditions, sql` or `);
}

interface BatchOutcome {
  examined: number;
  updated: number;
  failures: RotationFailure[];
  /** Ids locked by someone else. */
  locked: string[];
}

type Row = Record<string, string | null>;

/** What to write to one row (column → new value), recording values that cannot be read. */
function planRow(
  spec: EncryptedColumnSpec,
  keyring: Keyring,
  row: Row,
  id: string,
  failures: RotationFailure[],
): Map<string, string | null> {
  const current = keyring.current;
  const updates = new Map<string, string | null>();
  const plaintexts = new Map<string, string>();
  const unreadable = new Set<string>();

  const readPlaintext = (name: string, context: string): string | undefined => {
    const value = row[name];
    if (value == null || unreadable.has(name)) return undefined;
    const known = plaintexts.get(name);
    if (known !== undefined) return known;
    try {
      const plaintext = decryptWith(keyring, value, context);
      plaintexts.set(name, plaintext);
      return plaintext;
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      unreadable.add(name);
      failures.push({ id, column: name, reason: error.reason });
      return undefined;
    }
  };

  for (const column of spec.columns) {
    const value = row[column.name];
    if (value == null) continue;
    // Mirrors candidatePredicate: plaintext where it is allowed is left alone, not a failure.
    if (column.plaintextAllowed && !value.startsWith(TOKEN_PREFIX)) continue;
    let version: number;
    try {
      version = keyVersionOf(value);
    } catch {
      unreadable.add(column.name);
      failures.push({ id, column: column.name, reason: "malformed" });
      continue;
    }
    if (version >= current.version) continue;
    const plaintext = readPlaintext(column.name, column.context);
    if (plaintext !== undefined) updates.set(column.name, encryptUnder(current, plaintext, column.context));
  }

  for (const hash of spec.hashColumns ?? []) {
    const stored = row[hash.name] ?? null;
    const source = spec.columns.find((c) => c.name === hash.source);
    if (!source) continue; // validateSpecs rules this out
    if (row[source.name] == null) {
      if (stored !== null) updates.set(hash.name, null);
      continue;
    }
    if (stored !== null && (searchHashVersionOf(stored) ?? 0) >= current.version) continue;
    const plaintext = readPlaintext(source.name, source.context);
    if (plaintext === undefined) continue;
    const value = hash.extract ? hash.extract(plaintext) : plaintext;
    const fresh =
      value === null || normalizeForSearch(value, hash.kind) === "" ? null : searchHashUnder(current, value, hash.kind);
    if (fresh !== stored) updates.set(hash.name, fresh);
  }
  return updates;
}

/** Locks the given rows (skipping those locked by others), rewrites what needs it, in one transaction. */
async function rotateBatch(db: Db, spec: EncryptedColumnSpec, keyring: Keyring, ids: string[]): Promise<BatchOutcome> {
  const table = tableRef(spec.table);
  const idColumn = sql.identifier(spec.idColumn);
  const selected = [...spec.columns.map((c) => c.name), ...(spec.hashColumns ?? []).map((h) => h.name)].map((name) =>
    sql.identifier(name),
  );
  const idList = sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );
  return db.transaction(async (tx) => {
    const rows = await queryRows<Row>(
      tx,
      sql`select ${idColumn}::text as ${sql.identifier(ROW_ID)}, ${sql.join(selected, sql`, `)}
          from ${table} where ${idColumn} in (${idList})
          order by ${idColumn} for update skip locked`,
    );
    const failures: RotationFailure[] = [];
    let updated = 0;
    const seen = new Set<string>();
    for (const row of rows) {
      const id = String(row[ROW_ID]);
      seen.add(id);
      const updates = planRow(spec, keyring, row, id, failures);
      if (updates.size === 0) continue;
      const assignments = sql.join(
        [...updates].map(([name, value]) => sql`${sql.identifier(name)} = ${value}`),
        sql`, `,
      );
      await tx.execute(sql`update ${table} set ${assignments} where ${idColumn} = ${id}`);
      updated += 1;
    }
    return { examined: rows.length, updated, failures, locked: ids.filter((id) => !seen.has(id)) };
  });
}

type Settings = Required<Omit<RotateOptions, "onProgress">> & Pick<RotateOptions, "onProgress">;

async function rotateTable(
  db: Db,
  spec: EncryptedColumnSpec,
  keyring: Keyring,
  options: Settings,
): Promise<RotationResult> {
  const table = tableRef(spec.table);
  const idColumn = sql.identifier(spec.idColumn);
  const candidates = candidatePredicate(spec, keyring.current.version);
  const result: RotationResult = { table: spec.table, rows: 0, failed: 0, failures: [], skipped: 0, remaining: 0 };
  let examined = 0;
  let deferred: string[] = [];

  const apply = (outcome: BatchOutcome) => {
    examined += outcome.examined;
    result.rows += outcome.updated;
    result.failed += outcome.failures.length;
    for (const failure of outcome.failures)
      if (result.failures.length < MAX_REPORTED_FAILURES) result.failures.push(failure);
  };
  const report = () =>
    options.onProgress?.({
      table: spec.table,
      examined,
      updated: result.rows,
      failed: result.failed,
      deferred: deferred.length,
    });

  // The walk: candidates are found without locks; each batch then locks what it can.
  let last: string | undefined;
  for (;;) {
    const after = last === undefined ? sql`true` : sql`${idColumn} > ${last}`;
    // The alias must differ from the id column: ORDER BY would otherwise sort by the text.
    const page = await queryRows<Row>(
      db,
      sql`select ${idColumn}::text as ${sql.identifier(ROW_ID)} from ${table}
          where ${after} and (${candidates}) order by ${idColumn} limit ${options.batchSize}`,
    );
    if (page.length === 0) break;
    const ids = page.map((r) => String(r[ROW_ID]));
    last = ids[ids.length - 1];
    const outcome = await rotateBatch(db, spec, keyring, ids);
    apply(outcome);
    deferred.push(...outcome.locked);
    report();
    if (page.length < options.batchSize) break;
  }

  // Rows that were locked by the application: a few more tries, then report them.
  for (let round = 0; round < options.lockRetries && deferred.length > 0; round++) {
    await sleep(options.lockRetryDelayMs * 2 ** round);
    const waiting = deferred;
    deferred = [];
    for (let i = 0; i < waiting.length; i += options.batchSize) {
      const outcome = await rotateBatch(db, spec, keyring, waiting.slice(i, i + options.batchSize));
      apply(outcome);
      deferred.push(...outcome.locked);
    }
    report();
  }
  result.skipped = deferred.length;
  const [left] = await queryRows<{ n: number | string }>(
    db,
    sql`select count(*)::int as n from ${table} where ${candidates}`,
  );
  result.remaining = Number(left?.n ?? 0);
  return result;
}

/**
 * Re-encrypts, table by table, every value (and search hash) of `specs` that is under a key
 * version older than the current one. Returns one result per spec, in order.
 */
export async function rotateKeys(
  db: Db,
  specs: readonly EncryptedColumnSpec[],
  options: RotateOptions = {},
): Promise<RotationResult[]> {
  validateSpecs(specs);
  const batchSize = options.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
    throw new RangeError("rotateKeys: batchSize must be an integer from 1 to 10000");
  const lockRetries = options.lockRetries ?? 5;
  const lockRetryDelayMs = options.lockRetryDelayMs ?? 100;
  const keyring = getKeyring();
  const results: RotationResult[] = [];
  for (const spec of specs) {
    results.push(await rotateTable(db, spec, keyring, { ...options, batchSize, lockRetries, lockRetryDelayMs }));
  }
  return results;
}
