/**
 * Where published sites live: `/sites/<slug>/` on this platform, and the absolute base used in
 * sitemaps, deployment URLs and verification.
 *
 * The base is the caller's explicit `baseUrl`, else PUBLIC_BASE_URL, else
 * `http://localhost:<PORT>` (PORT defaults to 3000). Both variables are read from `process.env`
 * at call time, directly rather than through `readEnv()`: an unrelated broken variable must
 * not stop a site from being built or checked.
 */

/** Slugs as the shared schemas define them (lower case, digits, inner hyphens, ≤ 48). */
export const SITE_SLUG = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;

export function resolveBaseUrl(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const configured = explicit ?? (env.PUBLIC_BASE_URL?.trim() || undefined);
  if (configured !== undefined) {
    let url: URL;
    try {
      url = new URL(configured);
    } catch {
      throw new Error(`PUBLIC_BASE_URL is not a valid URL: ${JSON.stringify(configured)}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`The base URL must be http(s): ${JSON.stringify(configured)}`);
    return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
  }
  const port = Number(env.PORT?.trim() || 3000);
  return `http://localhost:${Number.isInteger(port) && port > 0 && port < 65536 ? port : 3000}`;
}

/** `/sites/<slug>/`: the site's path on this platform. */
export function sitePath(slug: string): string {
  return `/sites/${slug}/`;
}

/** The absolute URL of a page (`"/"`, `"/about/"`) of a site. */
export function pageUrl(base: string, slug: string, page: string): string {
  return `${base}${sitePath(slug)}${page.replace(/^\//, "")}`;
}
