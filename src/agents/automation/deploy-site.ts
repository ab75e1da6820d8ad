import { randomUUID } from "node:crypto";
import { z } from "zod";
import { blobToken, uploadSiteToBlob } from "@/sites/blob";
import { publishSite } from "@/sites/store";
import { resolveBaseUrl, sitePath } from "@/sites/urls";
import { ActionRejected, defineAction } from "../framework";
import { deploymentSchema, siteSchema, type SiteFile } from "../schemas";

export const deploySiteInput = z.strictObject({
  site: siteSchema,
  /**
   * The absolute base of the returned URL; default PUBLIC_BASE_URL, else http://localhost:<PORT>.
   * Unused with Blob storage, whose URL is the Blob URL of index.html.
   */
  baseUrl: z.url().optional(),
});

/** A media type with optional parameters, safe to send back as a Content-Type header. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(?:\s*;\s*[a-z0-9_-]+=[a-z0-9_.-]+)*$/i;

function inconsistencies(files: readonly SiteFile[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.path)) problems.push(`two files have the path ${file.path}`);
    seen.add(file.path);
    if (!MEDIA_TYPE.test(file.contentType)) problems.push(`${file.path}: ${JSON.stringify(file.contentType)} is not a media type`);
  }
  if (!seen.has("index.html")) problems.push("the site has no index.html");
  return problems;
}

/**
 * Publishes a site: in one transaction, the `sites` row gets a new deployment id and the
 * slug's files are replaced, so visitors see the old site or the new one, never a mix.
 *
 * With BLOB_READ_WRITE_TOKEN set, every file is first uploaded to Vercel Blob under
 * `sites/<slug>/<deploymentId>/` (`src/sites/blob.ts`), and only then is the deployment written
 * to Postgres as above: a failed upload throws (an agent failure, retried by the engine) before
 * anything changed, so the previous deployment stays whole. The output then says
 * `storage: "blob"` and its `url` is the Blob URL of index.html: the Blob copy is the
 * CDN-served public copy, while `/sites/<slug>/…` keeps serving the same files from Postgres
 * (and verify_deployment and QA keep reading them there). Without the token: Postgres only,
 * `storage: "postgres"`, `url` on this platform.
 */
export const deploySiteAction = defineAction({
  description:
    "Publishes a site's files at /sites/<slug>/ (stored in Postgres, and copied to Vercel Blob when configured), replacing the previous deployment atomically.",
  input: deploySiteInput,
  output: deploymentSchema,
  timeoutMs: 30_000,
  handler: async ({ site, baseUrl }, ctx) => {
    const problems = inconsistencies(site.files);
    if (problems.length > 0) throw new ActionRejected(`The site cannot be published: ${problems.join("; ")}.`, { problems });
    const token = blobToken();
    const platformUrl = `${resolveBaseUrl(baseUrl)}${sitePath(site.slug)}`;
    const deploymentId = randomUUID();
    const uploaded = token ? await uploadSiteToBlob({ slug: site.slug, deploymentId, files: site.files, token, signal: ctx.signal }) : [];
    const published = await publishSite(ctx.db, { slug: site.slug, files: site.files, deploymentId });
    // Always there with Blob storage: a site without index.html was refused above.
    const blobIndexUrl = uploaded.find((f) => f.path === "index.html")?.url;
    return {
      slug: site.slug,
      deploymentId: published.deploymentId,
      path: sitePath(site.slug),
      url: blobIndexUrl ?? platformUrl,
      fileCount: published.fileCount,
      bytes: published.bytes,
      storage: blobIndexUrl === undefined ? ("postgres" as const) : ("blob" as const),
    };
  },
});
