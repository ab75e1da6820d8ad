/**
 * The rehearsal's own Postgres database (`rehearsal_<pid>`), created fresh and dropped at the end
 * (unless --keep), plus a small `pg` pool the harness uses to read what happened: the app itself
 * reaches the database only through its own driver (Neon through the relay).
 */
import pg from "pg";

export interface RehearsalDatabase {
  name: string;
  url: string;
  /** The harness's reader/writer (checks, the one backdating statement). */
  pool: pg.Pool;
  query<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

async function admin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(adminUrl: string): Promise<RehearsalDatabase> {
  const name = `rehearsal_${process.pid}`;
  await admin(adminUrl, async (c) => {
    await c.query(`drop database if exists ${name} with (force)`);
    await c.query(`create database ${name}`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  pool.on("error", () => undefined);
  let dropped = false;
  return {
    name,
    url: url.toString(),
    pool,
    query: async <T extends pg.QueryResultRow>(text: string, params: unknown[] = []) =>
      (await pool.query<T>(text, params)).rows,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await pool.end().catch(() => undefined);
      await admin(adminUrl, (c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}

/** Closes the pool but keeps the database (--keep). */
export async function release(db: RehearsalDatabase): Promise<void> {
  await db.pool.end().catch(() => undefined);
}
