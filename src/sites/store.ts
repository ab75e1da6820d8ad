/**
 * Published sites in Postgres: `sites` (one row per slug, the current deployment) and
 * `site_files` (that deployment's files). A deployment replaces a site's files in one
 * transaction, so readers see the old site or the new one, never a mix.
 *
 * Files are always served from Postgres by `src/app/sites/[slug]/[[...path]]/route.ts`, also
 * when Vercel Blob is configured: the Blob copy (`blob.ts`) is the CDN-served public copy of a
 * deployment, and this store stays the one `/sites/<slug>/…`, verification and QA read.
 */
import { purgeSiteFromCdn } from "./cdn";
import { createHash, randomUUID } from "node:crypto";
import { and, eq, inArray, like, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { siteFiles, sites } from "@/db/schema";
import { rebaseRelativeLinks } from "./html-links";
import { claimForPublish } from "./slugs";
import { SITE_SLUG } from "./urls";

export const NOT_FOUND_FILE = "404.html";
const INDEX_FILE = "index.html";
/** One path segment of a stored file: a folder (`about`) or a file name (`styles.css`). */
const SEGMENT = /^[a-z0-9-]+(?:\.[a-z0-9]+)?$/;

export interface SiteFileInput {
  path: string;
  contentType: string;
  content: string;
}

export interface StoredSiteFile {
  path: string;
  contentType: string;
  body: string;
  etag: string;
  bytes: number;
}

export interface PublishSiteParams {
  slug: string;
  files: readonly SiteFileInput[];
  /** The new deployment's id; a random UUID by default (given when files were uploaded under it first). */
  deploymentId?: string;
  /**
   * The project publishing: it must own the slug (slugs.ts). Null or absent: a publication
   * without a project, allowed only on a slug no project owns.
   */
  projectId?: string | null;
}

export interface PublishedSite {
  deploymentId: string;
  fileCount: number;
  bytes: number;
}

/** A strong ETag (quoted) of the content: its SHA-256, base64url. */
export function etagOf(content: string): string {
  return `"${createHash("sha256").update(content, "utf8").digest("base64url")}"`;
}

/**
 * Writes a new deployment of a site: checks the publisher owns the slug, upserts its row,
 * replaces all its files. One transaction.
 * @throws SiteSlugTakenError (nothing written) when the slug belongs to another project.
 */
export async function publishSite(db: Db, params: PublishSiteParams): Promise<PublishedSite> {
  const deploymentId = params.deploymentId ?? randomUUID();
  const rows = params.files.map((f) => ({
    slug: params.slug,
    path: f.path,
    contentType: f.contentType,
    body: f.content,
    etag: etagOf(f.content),
    bytes: Buffer.byteLength(f.content, "utf8"),
  }));
  const bytes = rows.reduce((sum, r) => sum + r.bytes, 0);
  await db.transaction(async (tx) => {
    // Locks the slug's owner row first, so concurrent deployments of one slug take turns.
    await claimForPublish(tx, params.slug, params.projectId ?? null);
    await tx
      .insert(sites)
      .values({ slug: params.slug, deploymentId, fileCount: rows.length, bytes })
      .onConflictDoUpdate({
        target: sites.slug,
        set: { deploymentId, fileCount: rows.length, bytes, publishedAt: sql`now()` },
      });
    await tx.delete(siteFiles).where(eq(siteFiles.slug, params.slug));
    if (rows.length > 0) await tx.insert(siteFiles).values(rows);
  });
  await purgeSiteFromCdn(params.slug);
  return { deploymentId, fileCount: rows.length, bytes };
}

export interface SitePathRequest {
  slug: string;
  /** The path below the site root as the router decoded it (`about/index.html`, `about`, ""). */
  path: string;
  /** Whether the requested URL ended in "/". */
  trailingSlash: boolean;
}

export type SiteLookup =
  | { kind: "file"; file: StoredSiteFile }
  /** The path names a folder: answer with its slash form. */
  | { kind: "add_slash" }
  /** `page`: the site's own 404 page (its relative links moved to the request's depth), or null. */
  | { kind: "not_found"; page: StoredSiteFile | null };

/**
 * Resolves a request below `/sites/<slug>/` to a stored file. Folders (`""`, `about/`) serve
 * their `index.html`; `about` answers `add_slash` when `about/index.html` exists. Only paths made
 * of segments a stored file can have are looked up, so `..`, encoded or not, never leaves the
 * site: it is simply not found.
 */
export async function lookupSitePath(db: Db, request: SitePathRequest): Promise<SiteLookup> {
  if (!SITE_SLUG.test(request.slug)) return { kind: "not_found", page: null };
  const segments = request.path === "" ? [] : request.path.split("/");
  const depth = Math.max(0, segments.length - (request.trailingSlash ? 0 : 1));
  const valid = segments.every((s) => SEGMENT.test(s));
  const joined = segments.join("/");
  const last = segments.at(-1) ?? "";
  const isFolder = request.trailingSlash || segments.length === 0 || !last.includes(".");
  const wanted = isFolder ? (joined === "" ? INDEX_FILE : `${joined}/${INDEX_FILE}`) : joined;
  const found = await db
    .select({
      path: siteFiles.path,
      contentType: siteFiles.contentType,
      body: siteFiles.body,
      etag: siteFiles.etag,
      bytes: siteFiles.bytes,
    })
    .from(siteFiles)
    .where(
      and(
        eq(siteFiles.slug, request.slug),
        inArray(siteFiles.path, valid ? [wanted, NOT_FOUND_FILE] : [NOT_FOUND_FILE]),
      ),
    );
  const file = valid ? found.find((f) => f.path === wanted) : undefined;
  if (file) return isFolder && !request.trailingSlash ? { kind: "add_slash" } : { kind: "file", file };
  const page = found.find((f) => f.path === NOT_FOUND_FILE);
  return { kind: "not_found", page: page ? { ...page, body: rebaseRelativeLinks(page.body, depth) } : null };
}

/**
 * The page paths of a site's current deployment (`"/"`, `"/about/"`), home first, from its
 * stored HTML files (the 404 page excluded); null when no site has this slug.
 */
export async function listSitePages(db: Db, slug: string): Promise<string[] | null> {
  if (!SITE_SLUG.test(slug)) return null;
  const [site] = await db.select({ slug: sites.slug }).from(sites).where(eq(sites.slug, slug));
  if (!site) return null;
  const files = await db
    .select({ path: siteFiles.path })
    .from(siteFiles)
    .where(and(eq(siteFiles.slug, slug), like(siteFiles.path, "%.html")));
  return files
    .map((f) => f.path)
    .filter((p) => p !== NOT_FOUND_FILE)
    .map((p) => `/${p === INDEX_FILE ? "" : p.endsWith(`/${INDEX_FILE}`) ? p.slice(0, -INDEX_FILE.length) : p}`)
    .sort((a, b) => (a === "/" ? -1 : b === "/" ? 1 : a < b ? -1 : a > b ? 1 : 0));
}
