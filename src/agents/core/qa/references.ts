/**
 * Every URL a page or a stylesheet refers to, as written: links a visitor may follow, and
 * resources the browser loads on its own (which count towards the page's weight).
 */
import type { HtmlElement } from "html-validate";

export interface Reference {
  url: string;
  /** The browser fetches it with the page (stylesheet, script, image…), rather than on a click. */
  loaded: boolean;
}

/** `<link rel>` values whose target the browser fetches. */
const LOADED_LINK_RELS = new Set(["stylesheet", "icon", "apple-touch-icon", "preload", "modulepreload", "prefetch", "manifest", "mask-icon"]);

/** `url(…)` and `@import "…"` targets of a stylesheet, comments left out. */
export function cssReferences(css: string): string[] {
  const code = css.replace(/\/\*[\s\S]*?\*\//g, "");
  const urls: string[] = [];
  for (const m of code.matchAll(/url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)/gi)) urls.push(m[1] ?? m[2] ?? m[3] ?? "");
  for (const m of code.matchAll(/@import\s+(?:"([^"]*)"|'([^']*)')/gi)) urls.push(m[1] ?? m[2] ?? "");
  return urls;
}

/**
 * The URLs of a `srcset` ("a.png 1x, b.png 2x"), read as the HTML standard does: a URL runs to
 * the next whitespace (so a `data:` URL keeps its comma), then descriptors run to a comma.
 */
function srcsetUrls(srcset: string): string[] {
  const urls: string[] = [];
  let rest = srcset;
  for (;;) {
    rest = rest.replace(/^[\s,]+/, "");
    const url = /^\S+/.exec(rest)?.[0];
    if (url === undefined) return urls;
    rest = rest.slice(url.length);
    urls.push(url.replace(/,+$/, ""));
    if (url.endsWith(",")) continue;
    const comma = rest.indexOf(",");
    rest = comma === -1 ? "" : rest.slice(comma + 1);
  }
}

function attribute(element: HtmlElement, name: string): string | null {
  return element.getAttributeValue(name);
}

function elementReferences(element: HtmlElement): Reference[] {
  const refs: Reference[] = [];
  const add = (url: string | null, loaded: boolean): void => {
    if (url !== null) refs.push({ url, loaded });
  };
  const tag = element.tagName;
  const href = attribute(element, "href");
  if (tag === "link") {
    const rels = (attribute(element, "rel") ?? "").toLowerCase().split(/\s+/);
    add(href, rels.some((rel) => LOADED_LINK_RELS.has(rel)));
  } else if (tag !== "base") {
    add(href, false);
  }
  add(attribute(element, "src"), true);
  for (const url of srcsetUrls(attribute(element, "srcset") ?? "")) add(url, true);
  add(attribute(element, "poster"), true);
  if (tag === "object") add(attribute(element, "data"), true);
  add(attribute(element, "action"), false);
  add(attribute(element, "formaction"), false);
  for (const url of cssReferences(attribute(element, "style") ?? "")) add(url, true);
  if (tag === "style") for (const url of cssReferences(element.textContent)) add(url, true);
  if (tag === "meta" && attribute(element, "http-equiv")?.toLowerCase() === "refresh") {
    add(/url\s*=\s*['"]?([^'"\s;]+)/i.exec(attribute(element, "content") ?? "")?.[1] ?? null, false);
  }
  return refs;
}

/**
 * html-validate's parser skips the inside of inline <svg> and <math> (foreign content), so
 * their `href`, `xlink:href`, `src` and `url()` are read from the markup itself.
 */
function foreignReferences(html: string): Reference[] {
  const refs: Reference[] = [];
  for (const [block] of html.matchAll(/<(svg|math)\b[\s\S]*?<\/\1\s*>/gi)) {
    for (const m of block.matchAll(/\s(?:xlink:href|href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)) {
      refs.push({ url: m[1] ?? m[2] ?? m[3] ?? "", loaded: true });
    }
    for (const url of cssReferences(block)) refs.push({ url, loaded: true });
  }
  return refs;
}

/**
 * A fallback for markup the parser cannot read at all: any `href`/`src`/`action` attribute
 * and any `url()` in the text.
 */
function rawReferences(html: string): Reference[] {
  const refs: Reference[] = [];
  for (const m of html.matchAll(/\s(href|src|action|poster|xlink:href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)) {
    refs.push({ url: m[2] ?? m[3] ?? m[4] ?? "", loaded: m[1]?.toLowerCase() !== "href" && m[1]?.toLowerCase() !== "action" });
  }
  for (const url of cssReferences(html)) refs.push({ url, loaded: true });
  return refs;
}

export function htmlReferences(document: HtmlElement | null, html: string): Reference[] {
  if (!document) return rawReferences(html);
  return [...document.querySelectorAll("*").flatMap(elementReferences), ...foreignReferences(html)];
}

/** Ids a fragment (`#contact`) may point to: every `id`, and the legacy `<a name>`. */
export function fragmentTargets(document: HtmlElement): Set<string> {
  const ids = new Set<string>();
  for (const element of document.querySelectorAll("*")) {
    const id = element.getAttributeValue("id") ?? (element.tagName === "a" ? element.getAttributeValue("name") : null);
    if (id) ids.add(id);
  }
  return ids;
}
