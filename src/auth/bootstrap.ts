/**
 * The first admin key in local mode. With ADMIN_API_KEY set, that key is the admin key and
 * nothing is generated. Without it, the first start generates a key, stores only its hash, and
 * writes the key to `<DATA_DIR>/admin-key` (mode 0600); later starts re-register that same key
 * (idempotently, so pointing DATABASE_URL at a new database keeps it working) unless it was revoked.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import type { Db } from "@/db/client";
import { dataDir, readEnv } from "@/env";
import { ensureApiKey, generateApiKey } from "./api-keys";

export const BOOTSTRAP_KEY_NAME = "bootstrap admin";

export interface BootstrapResult {
  source: "env" | "file";
  /** Where the key is (the file path), never the key itself. */
  location: string;
  created: boolean;
}

export async function bootstrapAdminKey(db: Db): Promise<BootstrapResult> {
  if (readEnv().ADMIN_API_KEY) return { source: "env", location: "ADMIN_API_KEY", created: false };
  const dir = dataDir();
  const file = path.join(dir, "admin-key");
  if (existsSync(file)) {
    const key = (await readFile(file, "utf8")).trim();
    await ensureApiKey(db, { name: BOOTSTRAP_KEY_NAME, role: "admin", key });
    return { source: "file", location: file, created: false };
  }
  const key = generateApiKey();
  await ensureApiKey(db, { name: BOOTSTRAP_KEY_NAME, role: "admin", key });
  await mkdir(dir, { recursive: true });
  // `wx`: if another process wrote the file meanwhile, keep theirs (ours stays a valid key too).
  await writeFile(file, key + "\n", { mode: 0o600, flag: "wx" }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  });
  return { source: "file", location: file, created: true };
}
