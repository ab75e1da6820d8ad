import { z } from "zod";
import { publishSite } from "@/sites/store";
import { resolveBaseUrl, sitePath } from "@/sites/urls";
import { ActionRejected, defineAction } from "../framework";
import { deploymentSchema, siteSchema, type SiteFile } from "../schemas";

export const deploySiteInput = z.strictObject({
  site: siteSchema,
  /** The absolute base of the returned URL; default PUBLIC_BASE_URL, else http://localhost:<PORT>. */
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
 * Blob storage: not implemented; files are served from Postgres (`storage: "postgres"`) by
 * `/sites/<slug>/…`. Vercel Blob would need its package and a token, neither of which this
 * deployment has.
 */
export const deploySiteAction = defineAction({
  description: "Publishes a site's files at /sites/<slug>/ (stored in Postgres), replacing the previous deployment atomically.",
  input: deploySiteInput,
  output: deploymentSchema,
  timeoutMs: 30_000,
  handler: async ({ site, baseUrl }, ctx) => {
    const problems = inconsistencies(site.files);
    if (problems.length > 0) throw new ActionRejected(`The site cannot be published: ${problems.join("; ")}.`, { problems });
    const base = resolveBaseUrl(baseUrl);
    const published = await publishSite(ctx.db, { slug: site.slug, files: site.files });
    return {
      slug: site.slug,
      deploymentId: published.deploymentId,
      path: sitePath(site.slug),
      url: `${base}${sitePath(site.slug)}`,
      fileCount: published.fileCount,
      bytes: published.bytes,
      storage: "postgres" as const,
    };
  },
});
