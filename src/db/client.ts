/**
 * The database handle. One Drizzle schema, three drivers, chosen from the configuration:
 * - no DATABASE_URL       → PGlite (embedded Postgres in WebAssembly), persisted under DATA_DIR;
 * - a Neon host           → @neondatabase/serverless Pool over WebSockets (interactive transactions);
 * - any other postgres:// → node-postgres (`pg`) Pool.
 * `DATABASE_DRIVER` forces one (the Neon driver test points it at a local relay).
 *
 * The rest of the code sees only `Db` and never knows which driver it has. Queries take the
 * handle first (`fn(db, params)`), and a transaction is itself a `Db`, so they compose.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { SQL } from "drizzle-orm";
import { dataDir, readEnv } from "@/env";
import * as schema from "./schema";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type DriverName = "pglite" | "pg" | "neon";

export interface DbHandle {
  db: Db;
  driver: DriverName;
  close(): Promise<void>;
}

export interface OpenDbOptions {
  /** `memory://` for a throwaway database, or a folder. Only for PGlite. */
  pgliteDataDir?: string;
  /** PGlite only: a data directory dump (`dumpDataDir`) to start from instead of an empty database. */
  pgliteLoadDataDir?: Blob;
  /** Neon only: `neonConfig.wsProxy`, for a local WebSocket-to-TCP relay (default: from `NEON_WS_PROXY`). */
  neonWsProxy?: string | ((host: string, port: number | string) => string);
  /** Largest number of pooled connections (pg and Neon). */
  maxConnections?: number;
}

/** Picks the driver for a URL (and an optional explicit choice). */
export function chooseDriver(url: string | undefined, forced?: DriverName): DriverName {
  if (forced) return forced;
  if (!url) return "pglite";
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    throw new Error("DATABASE_URL is not a valid URL (expected postgres://user:pass@host:port/db)");
  }
  return /\.neon\.(tech|build)$/i.test(host) ? "neon" : "pg";
}

/** Opens a new handle. Most code wants `getDb()` instead, which shares one per process. */
export async function openDb(
  url: string | undefined,
  driver: DriverName,
  options: OpenDbOptions = {},
): Promise<DbHandle> {
  if (driver === "pglite") {
    const { PGlite } = await import("@electric-sql/pglite");
    const { drizzle } = await import("drizzle-orm/pglite");
    const dir = options.pgliteDataDir ?? path.join(dataDir(), "pglite");
    if (!dir.includes("://")) await mkdir(dir, { recursive: true });
    const client = await PGlite.create({ dataDir: dir, loadDataDir: options.pgliteLoadDataDir });
    const db = drizzle({ client, schema }) as unknown as Db;
    return { db, driver, close: () => client.close() };
  }
  if (!url) throw new Error(`The ${driver} driver needs DATABASE_URL`);
  const max = options.maxConnections ?? 10;
  if (driver === "neon") {
    const { Pool, neonConfig } = await import("@neondatabase/serverless");
    const { drizzle } = await import("drizzle-orm/neon-serverless");
    const { default: WebSocket } = await import("ws");
    // Node 20 has no global WebSocket; the driver needs a constructor.
    neonConfig.webSocketConstructor = WebSocket;
    // neonConfig is global: set every field this function touches, so one handle's relay
    // settings never leak into the next handle.
    const relay = options.neonWsProxy ?? neonRelay(readEnv().NEON_WS_PROXY);
    neonConfig.wsProxy = relay ?? ((host: string) => `${host}/v2`);
    neonConfig.useSecureWebSocket = !relay;
    neonConfig.pipelineConnect = relay ? false : "password";
    neonConfig.pipelineTLS = !relay;
    const pool = new Pool({ connectionString: url, max });
    pool.on("error", () => undefined); // an idle client's error must not crash the process
    const db = drizzle({ client: pool, schema }) as unknown as Db;
    return { db, driver, close: () => pool.end() };
  }
  const { Pool } = await import("pg");
  const { drizzle } = await import("drizzle-orm/node-postgres");
  const pool = new Pool({ connectionString: url, max, connectionTimeoutMillis: 5_000 });
  pool.on("error", () => undefined);
  const db = drizzle({ client: pool, schema }) as unknown as Db;
  return { db, driver, close: () => pool.end() };
}

/**
 * `NEON_WS_PROXY`, a template such as `127.0.0.1:4444/v2?address={host}:{port}`: the Neon driver
 * then reaches the database through that WebSocket-to-TCP relay with the settings Neon documents
 * for local development (plain `ws`, no pipelining), so a production build runs on the Neon
 * driver against any Postgres (the rehearsal, local debugging).
 */
export function neonRelay(template: string | undefined): ((host: string, port: number | string) => string) | undefined {
  if (!template) return undefined;
  return (host, port) => template.replaceAll("{host}", host).replaceAll("{port}", String(port));
}

// The shared handle lives on globalThis: Next bundles each route separately, and two copies of
// this module must still share one PGlite (two PGlite instances on one folder corrupt it).
const GLOBAL_KEY = Symbol.for("agent-orchestrator.db");
type GlobalWithDb = typeof globalThis & { [GLOBAL_KEY]?: Promise<DbHandle> };
const store = globalThis as GlobalWithDb;

/** The process-wide handle, opened on first use from the configuration. */
export function getDbHandle(): Promise<DbHandle> {
  let handle = store[GLOBAL_KEY];
  if (!handle) {
    const env = readEnv();
    handle = openDb(env.DATABASE_URL, chooseDriver(env.DATABASE_URL, env.DATABASE_DRIVER));
    // A failed open is not cached: the next call retries (the database may come back).
    handle.catch(() => {
      if (store[GLOBAL_KEY] === handle) delete store[GLOBAL_KEY];
    });
    store[GLOBAL_KEY] = handle;
  }
  return handle;
}

export async function getDb(): Promise<Db> {
  return (await getDbHandle()).db;
}

/** Replaces the process-wide handle (tests point routes at their own database). */
export function setDbHandle(handle: DbHandle | undefined): void {
  if (handle) store[GLOBAL_KEY] = Promise.resolve(handle);
  else delete store[GLOBAL_KEY];
}

export async function closeDb(): Promise<void> {
  const handle = store[GLOBAL_KEY];
  delete store[GLOBAL_KEY];
  if (handle) await (await handle).close();
}

/** Runs raw SQL and returns its rows, whatever the driver. */
export async function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
