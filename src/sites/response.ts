/**
 * The HTTP answer for a published site's file: the stored content type, a strong ETag with
 * revalidation (`If-None-Match` → 304), 308 to a folder's slash form, and 404 pages for people
 * (the site's own 404.html, else a small plain page), never JSON.
 *
 * Every answer carries `X-Content-Type-Options: nosniff` and a strict Content-Security-Policy:
 * a published page can load nothing but files of this origin, runs no script, and cannot
 * change its base URL.
 */
import { SITE_CDN_CACHE_CONTROL } from "./cdn";
import type { SiteLookup } from "./store";

export const SITE_CACHE_CONTROL = "public, max-age=60, must-revalidate";
// `sandbox` (issue 15): sites share the dashboard's origin; sandboxed, a page gets an opaque origin
// of its own, so nothing on it can use the dashboard's cookies or call its APIs as same-origin.
// Popups stay allowed (a link with target=_blank), escaping the sandbox (the target is someone else's page).
export const SITE_CSP =
  "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; base-uri 'none'; form-action 'self'";

const HTML = "text/html; charset=utf-8";
const PLAIN_NOT_FOUND = [
  "<!doctype html>",
  '<html lang="en">',
  "<head>",
  '<meta charset="utf-8">',
  '<meta name="viewport" content="width=device-width, initial-scale=1">',
  '<meta name="robots" content="noindex">',
  "<title>Page not found</title>",
  "</head>",
  "<body>",
  "<main>",
  "<h1>Page not found</h1>",
  "<p>There is no page at this address.</p>",
  "</main>",
  "</body>",
  "</html>",
  "",
].join("\n");

export interface SiteResponseOptions {
  method: string;
  /** The request's `If-None-Match` header. */
  ifNoneMatch: string | null;
  /** The requested path, to which `add_slash` appends "/" (query kept). */
  pathname: string;
  search: string;
}

function baseHeaders(): Headers {
  return new Headers({ "X-Content-Type-Options": "nosniff", "Content-Security-Policy": SITE_CSP });
}

/** RFC 9110 §13.1.2: `*`, or any listed tag equal under the weak comparison. */
export function etagMatches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  return header.split(",").some((tag) => tag.trim() === "*" || opaque(tag) === opaque(etag));
}

export function siteResponse(lookup: SiteLookup, options: SiteResponseOptions): Response {
  const headers = baseHeaders();
  const bodyless = options.method === "HEAD";
  if (lookup.kind === "add_slash") {
    headers.set("Location", `${options.pathname}/${options.search}`);
    headers.set("Cache-Control", SITE_CACHE_CONTROL);
    return new Response(null, { status: 308, headers });
  }
  if (lookup.kind === "not_found") {
    const body = lookup.page?.body ?? PLAIN_NOT_FOUND;
    headers.set("Content-Type", lookup.page?.contentType ?? HTML);
    headers.set("Cache-Control", "no-store");
    return new Response(bodyless ? null : body, { status: 404, headers });
  }
  const { file } = lookup;
  headers.set("ETag", file.etag);
  headers.set("Cache-Control", SITE_CACHE_CONTROL);
  // Vercel's CDN keeps the file until the next publish purges it (cdn.ts).
  headers.set("Vercel-CDN-Cache-Control", SITE_CDN_CACHE_CONTROL);
  if (etagMatches(options.ifNoneMatch, file.etag)) return new Response(null, { status: 304, headers });
  headers.set("Content-Type", file.contentType);
  headers.set("Content-Length", String(file.bytes));
  return new Response(bodyless ? null : file.body, { status: 200, headers });
}
