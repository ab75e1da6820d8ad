/**
 * The address a business name asks for (src/projects/site-slug.ts) and the candidates tried
 * when it is taken (src/sites/slugs.ts): always valid slugs; names with no Latin letter no
 * longer all become `site`.
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import { siteSlugBase } from "@/projects/site-slug";
import { slugCandidates } from "@/sites/slugs";
import { SITE_SLUG } from "@/sites/urls";

it("keeps the brief's slug for Latin names", () => {
  expect(siteSlugBase("Boulangerie Émile & Fils")).toBe("boulangerie-emile-fils");
  expect(siteSlugBase("Boulangerie Emile Fils")).toBe("boulangerie-emile-fils");
});

it("gives names with no Latin letter distinct, valid addresses instead of `site` for all", () => {
  const names = [
    "パン屋さくら",
    "パン屋ひかり",
    "Αρτοποιείο Ήλιος",
    "Αρτοποιείο Σελήνη",
    "مخبز الشمس",
    "🍞🥐",
    "Пекарня",
  ];
  const slugs = names.map(siteSlugBase);
  for (const slug of slugs) expect(slug).toMatch(SITE_SLUG);
  expect(new Set(slugs).size).toBe(names.length);
  expect(slugs).not.toContain("site");
  expect(siteSlugBase("パン屋さくら")).toBe(siteSlugBase(" パン屋さくら "));
});

it("for any business name, the base and every candidate are valid slugs, all distinct", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 120 }).filter((s) => s.trim().length > 0),
      (name) => {
        const base = siteSlugBase(name);
        expect(base).toMatch(SITE_SLUG);
        const candidates = slugCandidates(base);
        expect(candidates[0]).toBe(base);
        for (const c of candidates) expect(c).toMatch(SITE_SLUG);
        expect(new Set(candidates).size).toBe(candidates.length);
      },
    ),
    { numRuns: 300 },
  );
});

it("cuts a long base so the suffix still fits in 48 characters, with no hyphen left at the cut", () => {
  const base = `${"a".repeat(44)}-bcd`;
  const candidates = slugCandidates(base);
  expect(candidates[1]).toBe(`${"a".repeat(44)}-b-2`);
  for (const c of candidates) expect(c.length).toBeLessThanOrEqual(48);
  expect(slugCandidates(`${"a".repeat(45)}-xy`)[1]).toBe(`${"a".repeat(45)}-2`);
});
