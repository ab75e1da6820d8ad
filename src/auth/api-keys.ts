/**
 * API keys: `aok_` + 32 random bytes. The database keeps only their SHA-256, so a leaked
 * database does not leak keys; lookup is by that hash (an indexed equality on a digest
 * reveals nothing usable about the key through timing).
 */
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { apiKeys, type Role } from "@/db/schema";
import { readEnv } from "@/env";
import type { Principal } from "./roles";
import { randomToken, safeEqual, sha256Hex } from "./secrets";

export const API_KEY_PREFIX = "aok";
const DISPLAY_PREFIX_LENGTH = 12;
/** `last_used_at` is refreshed at most this often, so reads do not each write a row. */
const LAST_USED_RESOLUTION_SECONDS = 60;

export interface ApiKeyView {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

type ApiKeyRow = typeof apiKeys.$inferSelect;

function toView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

export function generateApiKey(): string {
  return randomToken(API_KEY_PREFIX);
}

export interface CreateApiKeyParams {
  name: string;
  role: Role;
  createdBy?: string | null;
  /** An existing key to register (the bootstrap admin key); generated when absent. */
  key?: string;
}

/** Creates a key and returns it with the only copy of its secret. */
export async function createApiKey(db: Db, params: CreateApiKeyParams): Promise<{ apiKey: ApiKeyView; key: string }> {
  const key = params.key ?? generateApiKey();
  const [row] = await db
    .insert(apiKeys)
    .values({
      name: params.name,
      role: params.role,
      keyHash: sha256Hex(key),
      prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
      createdBy: params.createdBy ?? null,
    })
    .returning();
  if (!row) throw new Error("insert into api_keys returned no row");
  return { apiKey: toView(row), key };
}

/** Registers a known key if its hash is not there yet (idempotent). */
export async function ensureApiKey(
  db: Db,
  params: Required<Pick<CreateApiKeyParams, "name" | "role" | "key">>,
): Promise<boolean> {
  const inserted = await db
    .insert(apiKeys)
    .values({
      name: params.name,
      role: params.role,
      keyHash: sha256Hex(params.key),
      prefix: params.key.slice(0, DISPLAY_PREFIX_LENGTH),
    })
    .onConflictDoNothing({ target: apiKeys.keyHash })
    .returning({ id: apiKeys.id });
  return inserted.length > 0;
}

/** Postgres keeps microseconds; a JS Date only milliseconds, which would skip rows in paging. */
const CURSOR_AT = sql<string>`to_char(${apiKeys.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export interface ListApiKeysParams {
  limit: number;
  /** Keyset cursor: the `createdAt|id` of the last key of the previous page (microsecond time). */
  cursor?: { createdAt: string; id: string };
}

export async function listApiKeys(
  db: Db,
  params: ListApiKeysParams,
): Promise<{ keys: ApiKeyView[]; nextCursor: string | null }> {
  const c = params.cursor;
  const rows = await db
    .select({ key: apiKeys, cursorAt: CURSOR_AT })
    .from(apiKeys)
    .where(c ? sql`(${apiKeys.createdAt}, ${apiKeys.id}) < (${c.createdAt}::timestamptz, ${c.id}::uuid)` : undefined)
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
    .limit(params.limit + 1);
  const page = rows.slice(0, params.limit);
  const last = page.at(-1);
  const nextCursor = rows.length > params.limit && last ? `${last.cursorAt}|${last.key.id}` : null;
  return { keys: page.map((r) => toView(r.key)), nextCursor };
}

/** Revokes a key. Returns null when there is no such key; revoking twice keeps the first time. */
export async function revokeApiKey(db: Db, id: string): Promise<ApiKeyView | null> {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
    .where(eq(apiKeys.id, id))
    .returning();
  return row ? toView(row) : null;
}

/** Resolves a presented key to a principal, or null when it is unknown or revoked. */
export async function authenticateApiKey(db: Db, presented: string): Promise<Principal | null> {
  const adminKey = readEnv().ADMIN_API_KEY;
  if (adminKey && safeEqual(presented, adminKey)) return { actor: "env:ADMIN_API_KEY", keyId: null, role: "admin" };
  const [row] = await db
    .select({ id: apiKeys.id, role: apiKeys.role, lastUsedAt: apiKeys.lastUsedAt })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, sha256Hex(presented)), isNull(apiKeys.revokedAt)))
    .limit(1);
  if (!row) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_SECONDS * 1000) {
    await db.update(apiKeys).set({ lastUsedAt: sql`now()` }).where(eq(apiKeys.id, row.id));
  }
  return { actor: `key:${row.id}`, keyId: row.id, role: row.role };
}
