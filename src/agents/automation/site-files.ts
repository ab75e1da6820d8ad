/**
 * All the files of a generated site: one `index.html` per page (`index.html`,
 * `about/index.html`, …), `404.html`, `styles.css`, `favicon.svg`, `sitemap.xml` and
 * `robots.txt`. The output depends only on the input and the base URL (no dates, no random
 * parts), so building the same site twice gives the same files and the same ETags.
 */
import type { SiteFile } from "../schemas";
import { pageUrl } from "@/sites/urls";
import { escapeXml } from "./markup";
import { renderNotFoundPage, renderPage, type SiteModel } from "./page-html";
import { pageFile } from "./site-links";
import { renderStylesheet } from "./stylesheet";

const HTML = "text/html; charset=utf-8";

function favicon(site: SiteModel): string {
  const { primary, onPrimary } = site.design.palette;
  const initial = /[\p{L}\p{N}]/u.exec(site.brief.businessName)?.[0]?.toUpperCase() ?? "";
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">',
    `  <rect width="64" height="64" rx="14" fill="${primary}"/>`,
    ...(initial
      ? [
          `  <text x="32" y="44" font-family="system-ui, sans-serif" font-size="34" font-weight="700" text-anchor="middle" fill="${onPrimary}">${escapeXml(initial)}</text>`,
        ]
      : []),
    "</svg>",
    "",
  ].join("\n");
}

function sitemap(site: SiteModel, base: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ...site.pages.map((p) => `  <url><loc>${escapeXml(pageUrl(base, site.brief.slug, p.path))}</loc></url>`),
    "</urlset>",
    "",
  ].join("\n");
}

function robots(site: SiteModel, base: string): string {
  return ["User-agent: *", "Allow: /", "", `Sitemap: ${pageUrl(base, site.brief.slug, "/sitemap.xml")}`, ""].join("\n");
}

/** The files of the site, pages first in navigation order. `base`: the absolute base URL for the sitemap. */
export function renderSiteFiles(site: SiteModel, base: string): SiteFile[] {
  return [
    ...site.pages.map((page) => ({ path: pageFile(page.path), contentType: HTML, content: renderPage(site, page) })),
    { path: "404.html", contentType: HTML, content: renderNotFoundPage(site) },
    { path: "styles.css", contentType: "text/css; charset=utf-8", content: renderStylesheet(site.design) },
    { path: "favicon.svg", contentType: "image/svg+xml", content: favicon(site) },
    { path: "sitemap.xml", contentType: "application/xml; charset=utf-8", content: sitemap(site, base) },
    { path: "robots.txt", contentType: "text/plain; charset=utf-8", content: robots(site, base) },
  ];
}
