import { randomUUID } from "node:crypto";
import { z } from "zod";
import { blobToken, uploadSiteToBlob } from "@/sites/blob";
import { assertMayPublish, SiteSlugTakenError } from "@/sites/slugs";
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
  /**
   * The client's project publishing its site: the slug must be the one allocated to it
   * (src/sites/slugs.ts). Null or absent (a manual deploy, a run started without a project):
   * only a slug no project owns may be published.
   */
  projectId: z.uuid().nullable().optional(),
});

/** A media type with optional parameters, safe to send back as a Content-Type header. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(?:\s*;\s*[a-z0-9_-]+=[a-z0-9_.-]+)*$/i;

function inconsistencies(files: readonly SiteFile[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.path)) problems.push(`two files have the path ${file.path}`);
    seen.add(file.path);
    if (!MEDIA_TYPE.test(file.contentType))
      problems.push(`${file.path}: ${JSON.stringify(file.contentType)} is not a media type`);
  }
  if (!seen.has("index.html")) problems.push("the site has no index.html");
  return problems;
}

/** Another project's slug is a refusal (the step fails at once), not a failure to retry. */
async function refusingTakenSlug<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof SiteSlugTakenError) throw new ActionRejected(error.message, error.details);
    throw error;
  }
}

/**
 * Publishes a site at an address its publisher owns (a project only at the slug allocated
 * to it: src/sites/slugs.ts): in one transaction, the `sites` row gets a new deployment id and the
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
    "Publishes a site's files at /sites/<slug>/ (stored in Postgres, and copied to Vercel Blob when configured), replacing the previous deployment atomically. " +
    "A project publishes only at the address allocated to it; without a project, only at an address no project owns.",
  input: deploySiteInput,
  output: deploymentSchema,
  timeoutMs: 30_000,
  handler: async ({ site, baseUrl, projectId = null }, ctx) => {
    const problems = inconsistencies(site.files);
    if (problems.length > 0)
      throw new ActionRejected(`The site cannot be published: ${problems.join("; ")}.`, { problems });
    // Refused before any upload; publishSite checks again under the slug's lock.
    await refusingTakenSlug(() => assertMayPublish(ctx.db, site.slug, projectId));
    const token = blobToken();
    const platformUrl = `${resolveBaseUrl(baseUrl)}${sitePath(site.slug)}`;
    const deploymentId = randomUUID();
    const uploaded = token
      ? await uploadSiteToBlob({ slug: site.slug, deploymentId, files: site.files, token, signal: ctx.signal })
      : [];
    const published = await refusingTakenSlug(() =>
      publishSite(ctx.db, { slug: site.slug, files: site.files, deploymentId, projectId }),
    );
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
