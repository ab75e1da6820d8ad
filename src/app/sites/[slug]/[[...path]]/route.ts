import { withPublic, type PublicContext } from "@/http/wrappers";
import { tagSiteResponse } from "@/sites/cdn";
import { siteResponse } from "@/sites/response";
import { lookupSitePath } from "@/sites/store";

// GET|HEAD /sites/<slug>/<path> — a published site's files, served from Postgres (HTML pages for
// people: a missing file is the site's own 404 page, never the JSON error body).
// Needs `skipTrailingSlashRedirect: true` in next.config.ts: pages live at `…/about/`, and
// Next's default redirect to `…/about` would break every relative link.
async function serveSiteFile({ req, url, params, getDb }: PublicContext): Promise<Response> {
  const lookup = await lookupSitePath(await getDb(), {
    slug: params.slug ?? "",
    path: params.path ?? "",
    trailingSlash: url.pathname.endsWith("/"),
  });
  if (lookup.kind === "file") await tagSiteResponse(params.slug ?? "");
  return siteResponse(lookup, {
    method: req.method,
    ifNoneMatch: req.headers.get("if-none-match"),
    pathname: url.pathname,
    search: url.search,
  });
}

export const GET = withPublic(serveSiteFile);
export const HEAD = withPublic(serveSiteFile);
