/**
 * The links of a generated page: reading them (verification) and moving relative ones down a
 * number of folders (the site's 404 page, served at whatever depth the missing path had).
 * These work on markup the platform generated itself (attributes in double or single quotes,
 * or unquoted), not on arbitrary HTML.
 */

const LINK_ATTRIBUTE = /(\s(?:href|src)\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/gi;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", "#39": "'", "#x27": "'" };

function decodeEntities(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|apos|#39|#x27);/gi, (_, name: string) => ENTITIES[name.toLowerCase()] ?? "");
}

/** Every `href` and `src` value of the markup, entity-decoded, in document order. */
export function extractLinks(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(LINK_ATTRIBUTE)) out.push(decodeEntities((m[2] ?? m[3] ?? m[4] ?? "").trim()));
  return out;
}

/** A reference relative to the document (`about/`, `../styles.css`): no scheme, not `/…`, not `#…`. */
export function isDocumentRelative(href: string): boolean {
  return href !== "" && !SCHEME.test(href) && !href.startsWith("/") && !href.startsWith("#") && !href.startsWith("?");
}

/**
 * Prefixes every document-relative `href`/`src` with `../` × `depth`, so a page written for
 * the site root still finds its stylesheet and links when served `depth` folders down.
 */
export function rebaseRelativeLinks(html: string, depth: number): string {
  if (depth <= 0) return html;
  const prefix = "../".repeat(depth);
  return html.replace(LINK_ATTRIBUTE, (whole, lead: string, dq?: string, sq?: string, bare?: string) => {
    const value = dq ?? sq ?? bare ?? "";
    if (!isDocumentRelative(decodeEntities(value))) return whole;
    const rebased = value === "./" ? prefix : prefix + value.replace(/^\.\//, "");
    return dq !== undefined ? `${lead}"${rebased}"` : sq !== undefined ? `${lead}'${rebased}'` : `${lead}${rebased}`;
  });
}
