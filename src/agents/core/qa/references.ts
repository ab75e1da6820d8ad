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
const LOADED_LINK_RELS = new Set([
  "stylesheet",
  "icon",
  "apple-touch-icon",
  "preload",
  "modulepreload",
  "prefetch",
  "manifest",
  "mask-icon",
]);

/**
 * Every regex here runs over text a site's author (or a language model) wrote, so each is linear
 * in its input: no lazy `[\s\S]*?` that an unclosed opener turns into a rescan of the rest of the
 * text from every opener (200 KB of `<svg` or `url(` took seconds to a minute), and no unquoted
 * alternative that can run past the point where it must stop (tests/unit/agents/qa-hostile-input.test.ts).
 */

/** `url(…)` and `@import "…"` targets of a stylesheet, comments left out. */
export function cssReferences(css: string): string[] {
  const code = withoutComments(css);
  const urls: string[] = [];
  // An unquoted url() cannot hold `(` (CSS Syntax §4.3.6), so a run of `url(url(…` without `)`
  // stops at the next `(` instead of being scanned to the end from every `url(`.
  for (const m of code.matchAll(/url\(\s*(?:"([^"]*)"|'([^']*)'|([^()'"\s]*))\s*\)/gi))
    urls.push(m[1] ?? m[2] ?? m[3] ?? "");
  for (const m of code.matchAll(/@import\s+(?:"([^"]*)"|'([^']*)')/gi)) urls.push(m[1] ?? m[2] ?? "");
  return urls;
}

/**
 * The text without its comments (slash-star to star-slash), in one pass. An unclosed one is kept
 * as text, as the regex this replaces did: its url()s are still checked rather than hidden.
 */
function withoutComments(css: string): string {
  let out = "";
  let from = 0;
  for (;;) {
    const open = css.indexOf("/*", from);
    if (open < 0) return out + css.slice(from);
    out += css.slice(from, open);
    const close = css.indexOf("*/", open + 2);
    if (close < 0) return out + css.slice(open);
    from = close + 2;
  }
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
    add(
      href,
      rels.some((rel) => LOADED_LINK_RELS.has(rel)),
    );
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
  for (const block of foreignBlocks(html)) {
    for (const m of block.matchAll(/\s(?:xlink:href|href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)) {
      refs.push({ url: m[1] ?? m[2] ?? m[3] ?? "", loaded: true });
    }
    for (const url of cssReferences(block)) refs.push({ url, loaded: true });
  }
  return refs;
}

/**
 * Each `<svg …>…</svg>` and `<math …>…</math>` block (from an opening tag to the first closing
 * tag of its name after it; case-insensitive), found in one pass: the closing tags of each name
 * are listed once, and a cursor per name only moves forward. An opening tag with no closing tag
 * after it is no block, and costs nothing more than being seen.
 */
function foreignBlocks(html: string): string[] {
  const closes = new Map<string, { start: number; end: number }[]>([
    ["svg", []],
    ["math", []],
  ]);
  for (const m of html.matchAll(/<\/(svg|math)\s*>/gi))
    closes.get(m[1]!.toLowerCase())!.push({ start: m.index, end: m.index + m[0].length });
  const cursor = new Map<string, number>([
    ["svg", 0],
    ["math", 0],
  ]);
  const blocks: string[] = [];
  const opening = /<(svg|math)\b/gi;
  for (let m = opening.exec(html); m !== null; m = opening.exec(html)) {
    const name = m[1]!.toLowerCase();
    const list = closes.get(name)!;
    let i = cursor.get(name)!;
    while (i < list.length && list[i]!.start < m.index + m[0].length) i++;
    cursor.set(name, i);
    const close = list[i];
    if (close === undefined) continue; // unclosed: try the next opening tag, like the regex it replaces
    blocks.push(html.slice(m.index, close.end));
    opening.lastIndex = close.end;
  }
  return blocks;
}

/**
 * A fallback for markup the parser cannot read at all: any `href`/`src`/`action` attribute
 * and any `url()` in the text.
 */
function rawReferences(html: string): Reference[] {
  const refs: Reference[] = [];
  for (const m of html.matchAll(/\s(href|src|action|poster|xlink:href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)) {
    refs.push({
      url: m[2] ?? m[3] ?? m[4] ?? "",
      loaded: m[1]?.toLowerCase() !== "href" && m[1]?.toLowerCase() !== "action",
    });
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
