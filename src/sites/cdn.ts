/**
 * Published sites on Vercel's CDN. A site's files are cached at the edge for a day
 * (`Vercel-CDN-Cache-Control`, which only Vercel's CDN reads; browsers keep the short
 * `Cache-Control` of response.ts and revalidate with the ETag), tagged `site:<slug>`; publishing
 * a new deployment of the site deletes that tag's entries, so the next request is served from
 * Postgres. Deleted, not just invalidated: an invalidated entry is served stale once more, and
 * `verify_deployment` reads the site right after publishing. Outside Vercel both calls do nothing.
 */
import { addCacheTag, dangerouslyDeleteByTag } from "@vercel/functions";
import { log } from "@/observability/log";

export const SITE_CDN_CACHE_CONTROL = "public, max-age=86400";

export function siteCacheTag(slug: string): string {
  return `site:${slug}`;
}

/** Tags the current response with its site, for purging on the next publish. Never throws. */
export async function tagSiteResponse(slug: string): Promise<void> {
  try {
    await addCacheTag(siteCacheTag(slug));
  } catch (error) {
    log.warn("sites: could not tag the response for the CDN", { slug, error });
  }
}

/** Drops a site's cached files from the CDN after a publish. Never throws: the files are published either way. */
export async function purgeSiteFromCdn(slug: string): Promise<void> {
  try {
    await dangerouslyDeleteByTag(siteCacheTag(slug));
  } catch (error) {
    log.warn("sites: could not purge the CDN after publishing; the edge serves the previous files for up to a day", {
      slug,
      error,
    });
  }
}
