/**
 * Where a reference leads, resolved as a browser would from the page's own URL, then looked up
 * among the site's files. A made-up origin stands for the site: a site path ("/about/") is a
 * URL on it, and a reference that leaves it is external.
 */
const ORIGIN = "http://site.invalid";

/** `index.html` → "/", `about/index.html` → "/about/", `styles.css` → "/styles.css". */
export function sitePath(filePath: string): string {
  return `/${filePath.replace(/(^|\/)index\.html?$/, "$1")}`;
}

export function siteUrl(filePath: string): URL {
  return new URL(sitePath(filePath), ORIGIN);
}

export type Resolution =
  /** mailto:, tel:, data:, javascript:…: nothing to check. */
  | { kind: "ignored" }
  /** http(s):// or protocol-relative: a request to another host. */
  | { kind: "external" }
  /** A file of the site (null when there is none) and the fragment it points at, if any. */
  | { kind: "internal"; file: string | null; fragment: string | null };

const BROKEN: Resolution = { kind: "internal", file: null, fragment: null };

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/**
 * Resolves `reference` (as written) from the file at `from`. Root-relative paths ("/contact/")
 * are site paths (the convention of the page content); the site's public prefix
 * (`/sites/<slug>/`) is accepted too. A path without a trailing slash also finds
 * `<path>/index.html`, as the site server does.
 */
export function resolveReference(
  reference: string,
  from: URL,
  hasFile: (path: string) => boolean,
  slug: string,
): Resolution {
  const raw = reference.trim();
  // Browsers read "\\" as "/" in http(s) URLs, so "\\host" is protocol-relative too.
  if (/^(?:https?:)?[\\/]{2}/i.test(raw)) return { kind: "external" };
  let target: URL;
  try {
    target = new URL(raw, from);
  } catch {
    return BROKEN;
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") return { kind: "ignored" };
  if (target.origin !== ORIGIN) return { kind: "external" };
  let path = decode(target.pathname);
  if (path === null) return BROKEN;
  const prefix = `/sites/${slug}`;
  if (path === prefix || path.startsWith(`${prefix}/`)) path = path.slice(prefix.length) || "/";
  const candidates = path.endsWith("/") ? [`${path}index.html`] : [path, `${path}/index.html`];
  const file = candidates.map((candidate) => candidate.slice(1)).find(hasFile) ?? null;
  const fragment = target.hash.length > 1 ? (decode(target.hash.slice(1)) ?? target.hash.slice(1)) : null;
  return { kind: "internal", file, fragment };
}
