/**
 * The public CDN copy of a deployment on Vercel Blob, made when BLOB_READ_WRITE_TOKEN is set.
 *
 * Every file goes to `sites/<slug>/<deploymentId>/<path>`: a prefix per deployment, so a new
 * deployment never overwrites the files a visitor of the previous one is loading, and a
 * deployment's URLs can be cached for good. Postgres stays the source of truth: the files are
 * stored there too and `/sites/<slug>/…` keeps serving them (see `store.ts`).
 *
 * Blob is a file store, not a static host: it has no object for a folder (`…/about/`), so the
 * copy's folder links between pages only resolve under `/sites/<slug>/`. Older deployments'
 * objects, and those of a deployment that failed part-way, are left in the store (no cleanup).
 *
 * The token is passed explicitly on each call and never leaves this module in a message: the
 * SDK's errors are rewritten with the token (and anything shaped like one) scrubbed out.
 */
import { put } from "@vercel/blob";
import type { SiteFileInput } from "./store";

/** Uploads in flight at once: enough to hide round trips, few enough not to hit the API's rate limit. */
export const BLOB_UPLOAD_CONCURRENCY = 4;

const TOKEN_SHAPE = /vercel_blob_rw_[A-Za-z0-9]+_[A-Za-z0-9]+/g;
const REDACTED = "[redacted]";
const MESSAGE_MAX = 300;

/**
 * The read-write token, or undefined when Blob storage is off. Read from `process.env` at call
 * time, directly rather than through `readEnv()` (like `urls.ts`): an unrelated broken variable
 * must not stop a deployment. Blank means unset, as in env.ts.
 */
export function blobToken(source: NodeJS.ProcessEnv = process.env): string | undefined {
  return source.BLOB_READ_WRITE_TOKEN?.trim() || undefined;
}

/** `sites/<slug>/<deploymentId>/<path>`: where a deployment's file lives in the store. */
export function blobPathname(slug: string, deploymentId: string, path: string): string {
  return `sites/${slug}/${deploymentId}/${path}`;
}

export interface UploadSiteToBlobParams {
  slug: string;
  deploymentId: string;
  files: readonly SiteFileInput[];
  token: string;
  /** Aborts the uploads in flight (the action's timeout). */
  signal?: AbortSignal;
}

export interface BlobSiteFile {
  path: string;
  /** The public (CDN) URL of the uploaded file. */
  url: string;
}

/** One line, at most 300 characters, with the token scrubbed (fetch's own message says little: its cause does). */
function describeUploadError(error: unknown, token: string): string {
  let text = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.cause instanceof Error && !text.includes(error.cause.message))
    text += `: ${error.cause.message}`;
  const clean =
    text.split(token).join(REDACTED).replace(TOKEN_SHAPE, REDACTED).replace(/\s+/g, " ").trim() || "unknown error";
  return clean.length <= MESSAGE_MAX ? clean : `${clean.slice(0, MESSAGE_MAX - 1)}…`;
}

/**
 * Uploads every file of a deployment, BLOB_UPLOAD_CONCURRENCY at a time, and answers their URLs
 * in the order of `files`. The first failure stops the rest (those in flight are aborted) and
 * is thrown as a plain Error naming the file: an agent failure, which the engine retries.
 *
 * `allowOverwrite`: the SDK retries a failed request itself (5xx, network errors); when the
 * store did keep the first attempt, the retry must be able to write the same object again.
 * The per-deployment prefix means nothing else ever writes there.
 */
export async function uploadSiteToBlob(params: UploadSiteToBlobParams): Promise<BlobSiteFile[]> {
  const { files, token } = params;
  const abort = new AbortController();
  const forwardAbort = () => abort.abort();
  params.signal?.addEventListener("abort", forwardAbort, { once: true });
  if (params.signal?.aborted) abort.abort();
  const urls = new Map<string, string>();
  let failure: { path: string; error: unknown } | undefined;
  let next = 0;
  const worker = async () => {
    while (failure === undefined && !abort.signal.aborted && next < files.length) {
      const file = files[next++]!;
      try {
        // A Buffer, not the string: `put` refuses an empty string body, and a site may hold an empty file.
        const blob = await put(
          blobPathname(params.slug, params.deploymentId, file.path),
          Buffer.from(file.content, "utf8"),
          {
            access: "public",
            contentType: file.contentType,
            addRandomSuffix: false,
            allowOverwrite: true,
            token,
            abortSignal: abort.signal,
          },
        );
        urls.set(file.path, blob.url);
      } catch (error) {
        failure ??= { path: file.path, error };
        abort.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(BLOB_UPLOAD_CONCURRENCY, files.length) }, worker));
  } finally {
    params.signal?.removeEventListener("abort", forwardAbort);
  }
  if (failure)
    throw new Error(`Uploading ${failure.path} to Vercel Blob failed: ${describeUploadError(failure.error, token)}`);
  if (urls.size < files.length) throw new Error("The upload to Vercel Blob was cancelled.");
  return files.map((f) => ({ path: f.path, url: urls.get(f.path)! }));
}
