/**
 * A Vercel Blob store as a backup destination, through the official `@vercel/blob` SDK (the one
 * deploy_site uses, src/sites/blob.ts). Configured by the environment:
 * - `BACKUP_BLOB_READ_WRITE_TOKEN` (turns it on): the read-write token of a PRIVATE Blob store.
 *   Not `BLOB_READ_WRITE_TOKEN`, which is the public store the sites are copied to;
 * - `BACKUP_BLOB_PREFIX`: the folder in the store (default `backups`);
 * - `BACKUP_BLOB_KEEP_COUNT` / `BACKUP_BLOB_KEEP_DAYS`: its own retention (default: the folder's).
 * Every object is `<prefix>/<backup id>/<file>`, written with `access: "private"`: it is read only
 * with the token (the parts are encrypted with BACKUP_KEY besides). A backup row records
 * `blob://<store id>/<prefix>`, never the token; the SDK's errors are rethrown with the token scrubbed.
 *
 * Decision: the SDK makes its own connections rather than going through `outboundFetch`: the
 * store is the operator's configuration, not an address any user input chooses.
 */
import type { BackupDestinationRecord } from "@/db/schema/backups";
import { NotConfiguredError } from "@/errors";
import { parseBackupAddress, type BackupDestination } from "./destination";

export interface BlobSettings {
  token: string;
  storeId: string;
  prefix: string;
}

const TOKEN_FORMAT = /^vercel_blob_rw_([A-Za-z0-9]+)_[A-Za-z0-9]+$/;
const TOKEN_SHAPE = /vercel_blob_rw_[A-Za-z0-9]+_[A-Za-z0-9]+/g;
const SAFE_NAME = /^[A-Za-z0-9_.-]+$/;

export function blobSettings(source: NodeJS.ProcessEnv = process.env): BlobSettings | undefined {
  const token = source.BACKUP_BLOB_READ_WRITE_TOKEN?.trim();
  if (!token) return undefined;
  const match = TOKEN_FORMAT.exec(token);
  if (!match)
    throw new NotConfiguredError(
      "BACKUP_BLOB_READ_WRITE_TOKEN is not a Vercel Blob read-write token (vercel_blob_rw_<store>_<secret>).",
    );
  const prefix = (source.BACKUP_BLOB_PREFIX?.trim() || "backups").replace(/^\/+|\/+$/g, "");
  if (!prefix.split("/").every((segment) => SAFE_NAME.test(segment) && segment !== "." && segment !== ".."))
    throw new NotConfiguredError("BACKUP_BLOB_PREFIX must be folder names of letters, digits, _ . - joined by /.");
  return { token, storeId: match[1]!, prefix };
}

/** `blob://<store id>/<prefix>`: where the backups are, without the token. */
function locationOf(settings: BlobSettings): string {
  return `blob://${settings.storeId}/${settings.prefix}`;
}

/** The SDK's message, on one line, with the token (and anything shaped like one) removed. */
function scrubbed(error: unknown, token: string): string {
  let text = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.cause instanceof Error && !text.includes(error.cause.message))
    text += `: ${error.cause.message}`;
  const clean = text.split(token).join("[redacted]").replace(TOKEN_SHAPE, "[redacted]").replace(/\s+/g, " ").trim();
  return (clean || "unknown error").slice(0, 300);
}

const sdk = () => import("@vercel/blob");

export class BlobDestination implements BackupDestination {
  readonly record: BackupDestinationRecord;

  constructor(private readonly settings: BlobSettings) {
    this.record = { name: "blob", kind: "blob", location: locationOf(settings) };
  }

  private pathname(backupId: string, file = ""): string {
    if (!SAFE_NAME.test(backupId) || (file !== "" && !SAFE_NAME.test(file)))
      throw new Error("unsafe backup object name");
    return `${this.settings.prefix}/${backupId}/${file}`;
  }

  private async call<T>(what: string, work: (blob: Awaited<ReturnType<typeof sdk>>) => Promise<T>): Promise<T> {
    const blob = await sdk();
    try {
      return await work(blob);
    } catch (error) {
      throw new Error(`Vercel Blob (${this.record.location}): ${what} failed: ${scrubbed(error, this.settings.token)}`);
    }
  }

  async put(backupId: string, file: string, data: Buffer): Promise<void> {
    const pathname = this.pathname(backupId, file);
    await this.call(`writing ${backupId}/${file}`, ({ put }) =>
      // `allowOverwrite`: a retried step (or the SDK's own retry of a write the store did keep) writes the same part again.
      put(pathname, data, {
        access: "private",
        addRandomSuffix: false,
        allowOverwrite: true,
        contentType: "application/octet-stream",
        token: this.settings.token,
      }),
    );
  }

  async get(backupId: string, file: string): Promise<Buffer> {
    const pathname = this.pathname(backupId, file);
    const answer = await this.call(`reading ${backupId}/${file}`, async ({ get }) => {
      const found = await get(pathname, { access: "private", useCache: false, token: this.settings.token });
      if (!found || found.statusCode !== 200) return null;
      return Buffer.from(await new Response(found.stream).arrayBuffer());
    });
    if (!answer) throw new Error(`Vercel Blob (${this.record.location}): ${backupId}/${file} is not there`);
    return answer;
  }

  /** Every object under the backup's folder, listed page by page and deleted a page at a time. */
  async remove(backupId: string): Promise<void> {
    const prefix = this.pathname(backupId);
    await this.call(`deleting ${backupId}`, async ({ del, list }) => {
      let cursor: string | undefined;
      do {
        const page = await list({ prefix, cursor, limit: 1_000, token: this.settings.token });
        if (page.blobs.length > 0)
          await del(
            page.blobs.map((b) => b.url),
            { token: this.settings.token },
          );
        cursor = page.hasMore ? page.cursor : undefined;
      } while (cursor);
    });
  }

  /** The backup folders present (tests, operators). */
  async list(): Promise<string[]> {
    return this.call("listing", async ({ list }) => {
      const names: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await list({
          prefix: `${this.settings.prefix}/`,
          mode: "folded",
          cursor,
          token: this.settings.token,
        });
        for (const folder of page.folders) names.push(folder.replace(/\/$/, "").split("/").at(-1)!);
        cursor = page.hasMore ? page.cursor : undefined;
      } while (cursor);
      return names;
    });
  }
}

/** The configured Blob store, or undefined when BACKUP_BLOB_READ_WRITE_TOKEN is not set. */
export function configuredBlob(source: NodeJS.ProcessEnv = process.env): BlobDestination | undefined {
  const settings = blobSettings(source);
  return settings ? new BlobDestination(settings) : undefined;
}

/**
 * A backup in the configured Blob store, from a `blob://<store id>/<prefix>/<backup id>/manifest.json`
 * address (the restore's command line): the store must be the configured token's.
 */
export function parseBlobAddress(address: string, source: NodeJS.ProcessEnv = process.env) {
  const { host: storeId, prefix, backupId } = parseBackupAddress("blob", address, "store id");
  const settings = blobSettings(source);
  if (!settings || settings.storeId !== storeId)
    throw new NotConfiguredError(
      `Set BACKUP_BLOB_READ_WRITE_TOKEN to a read-write token of the Blob store ${storeId} to read this backup.`,
    );
  if (!prefix) throw new NotConfiguredError(`"${address}" names no folder: blob://<store id>/<prefix>/<backup id>/.`);
  const destination = new BlobDestination({ ...blobSettings({ ...source, BACKUP_BLOB_PREFIX: prefix })! });
  return { destination, backupId };
}
