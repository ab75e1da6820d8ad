/**
 * Names folded into words and site addresses ("Café Ünïcode & Co." → "cafe-unicode-co"): the
 * design-ia agent builds the brief's slug with them, and a project allocates its site's address
 * from the same slug (src/projects/site-slug.ts).
 */

/** The longest slug (src/sites/slugs.ts keeps suffixed addresses within the same length). */
const SLUG_MAX = 48;

const LIGATURES: Record<string, string> = {
  ß: "ss",
  æ: "ae",
  œ: "oe",
  ø: "o",
  ł: "l",
  đ: "d",
  ð: "d",
  þ: "th",
  ı: "i",
};

/** Lower-case ASCII approximation: accents dropped, ligatures spelled out, other scripts kept. */
function fold(text: string): string {
  return text
    .toLowerCase()
    .replace(/[ßæœøłđðþı]/g, (c) => LIGATURES[c] ?? c)
    .normalize("NFD")
    .replace(/\p{M}+/gu, "");
}

/** The folded ASCII words of `text` ("Cabinet d'Avocats" → ["cabinet", "d", "avocats"]). */
export function words(text: string): string[] {
  return fold(text)
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** "Café Ünïcode & Co." → "cafe-unicode-co"; at most 48 long, cut at a hyphen when one is near; "site" if nothing is left. */
export function slugify(name: string): string {
  const full = words(name).join("-");
  if (full.length <= SLUG_MAX) return full || "site";
  const cut = full.slice(0, SLUG_MAX);
  const lastHyphen = cut.lastIndexOf("-");
  const slug = (full[SLUG_MAX] === "-" ? cut : lastHyphen >= SLUG_MAX / 2 ? cut.slice(0, lastHyphen) : cut).replace(
    /-+$/,
    "",
  );
  return slug || "site";
}
