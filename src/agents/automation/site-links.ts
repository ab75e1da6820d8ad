/**
 * Links inside a generated site. Every link between pages is relative to the page that holds
 * it (from `about/index.html`: home is `../`, contact is `../contact/`, the stylesheet
 * `../styles.css`), so the same files work under `/sites/<slug>/` and at the root of any
 * static host.
 */

/** The file of a page path: `/` → `index.html`, `/about/` → `about/index.html`. */
export function pageFile(pagePath: string): string {
  return `${pagePath.slice(1)}index.html`;
}

/** How many folders below the site root a page path is (`/` → 0, `/about/` → 1). */
export function pageDepth(pagePath: string): number {
  return pagePath.split("/").length - 2;
}

/**
 * A reference from the page at `fromPage` to `target`, a path from the site root without its
 * leading slash (`""` for home, `contact/`, `styles.css`, `contact/#form`).
 */
export function relativeHref(fromPage: string, target: string): string {
  const href = "../".repeat(pageDepth(fromPage)) + target;
  return href === "" || href.startsWith("#") ? `./${href}` : href;
}

const MAILTO = /^mailto:[^@\s<>"'\\]+@[^\s<>"'\\]+$/i;
const INTERNAL = /^\/(?:([a-z0-9-]+)\/?)?(#[A-Za-z][\w-]*)?$/;

export type CtaTarget = { kind: "mailto"; href: string } | { kind: "page"; path: string; fragment: string };

/**
 * A call to action's `href`: a mailto: link, or a site-internal path naming one of the pages
 * (`/contact/`, `/contact`, `/contact/#form`). Anything else (another origin, an unknown page)
 * is null.
 */
export function resolveCtaHref(href: string, pagePaths: ReadonlySet<string>): CtaTarget | null {
  if (MAILTO.test(href)) return { kind: "mailto", href };
  const m = INTERNAL.exec(href);
  if (!m) return null;
  const path = m[1] === undefined ? "/" : `/${m[1]}/`;
  return pagePaths.has(path) ? { kind: "page", path, fragment: m[2] ?? "" } : null;
}
