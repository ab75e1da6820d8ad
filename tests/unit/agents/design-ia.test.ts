import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { designIa } from "@/agents/design-ia";
import { ActionRejected } from "@/agents/framework";
import {
  LANGUAGES,
  PAGE_KEYS,
  TONES,
  briefSchema,
  designSchema,
  pageContentSchema,
  rawBriefSchema,
  type Brief,
  type Design,
  type PageContent,
  type PageKey,
  type RawBrief,
} from "@/agents/schemas";
import { actionContext } from "../../helpers/agents";

const { normalize_brief, generate_design, generate_content } = designIa.actions;

/** As a transport calls an action: input schema, handler, output schema. */
async function normalize(raw: unknown): Promise<Brief> {
  return briefSchema.parse(
    await normalize_brief.handler(rawBriefSchema.parse(raw), actionContext("design-ia", "normalize_brief")),
  );
}
async function design(brief: Brief): Promise<Design> {
  return designSchema.parse(await generate_design.handler({ brief }, actionContext("design-ia", "generate_design")));
}
async function content(brief: Brief, page: PageKey, withDesign?: Design): Promise<PageContent> {
  return pageContentSchema.parse(
    await generate_content.handler({ brief, page, design: withDesign }, actionContext("design-ia", "generate_content")),
  );
}

/** A brief as a client could have typed it: normalising it again must change nothing. */
function toRaw(brief: Brief): RawBrief {
  const { businessName, industry, audience, tone, pages, language, tagline, contactEmail, brandColor } = brief;
  return {
    businessName,
    industry,
    audience,
    tone,
    pages,
    language,
    tagline,
    ...(contactEmail && { contactEmail }),
    ...(brandColor && { brandColor }),
  };
}

// WCAG 2.x contrast, written here independently of src/agents/lib/color.ts.
function relativeLuminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function wcagContrast(a: string, b: string): number {
  const [la, lb] = [relativeLuminance(a), relativeLuminance(b)];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

const visible = (s: string) => /[^\p{Cc}\p{Cs}\s]/u.test(s);

// ---- arbitraries -------------------------------------------------------------------------

const INDUSTRIES = [
  "Restaurant italien",
  "Law firm",
  "Dental clinic",
  "SaaS startup",
  "Boutique de vêtements",
  "Photographe",
  "Plombier chauffagiste",
  "École de langues",
  "Salon de coiffure",
  "Expert-comptable",
  "Dog walking",
];
const TONE_WORDS = [
  ...TONES,
  "chaleureux",
  "formel",
  "haut de gamme",
  "ludique",
  "audacieux",
  "serious",
  "warm",
  "",
  "???",
];
const PAGE_WORDS = [
  ...PAGE_KEYS,
  "Accueil",
  "À propos",
  "Qui sommes-nous ?",
  "Prestations",
  "Contactez-nous",
  "questions",
  "Blog",
  "",
];
const LANGUAGE_WORDS = [...LANGUAGES, "fr-FR", "French", "français", "Deutsch", "es_ES", "italiano", "klingon", ""];

/** Troublemakers: surrogate halves (paired or lone), a combining accent, NUL, NEL, a no-break space, a ligature. */
const trickyUnit = fc.constantFrom("\uD83D", "\uDE00", "e", "\u0301", "\u0000", "\u0085", "\u00A0", " ", "ß", "-");

/** Arbitrary unicode (control characters, astral planes, combining marks), or words the tables know. */
const textOf = (maxLength: number, known: readonly string[] = []) =>
  fc.oneof(
    fc.string({ unit: "binary", maxLength }),
    fc.string({ unit: "grapheme", maxLength }),
    fc.string({ unit: trickyUnit, maxLength }),
    ...(known.length > 0 ? [fc.constantFrom(...known)] : []),
  );
const emailArb = fc
  .tuple(
    fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,15}$/),
    fc.stringMatching(/^[A-Za-z0-9]{1,12}$/),
    fc.constantFrom("com", "FR", "io", "co.uk"),
  )
  .map(([local, domain, tld]) => `${local}@${domain}.${tld}`);
const hexColor = fc.integer({ min: 0, max: 0xffffff }).map((n) => `#${n.toString(16).padStart(6, "0")}`);

const rawBriefArb = fc
  .record(
    {
      businessName: textOf(50, [
        "Chez Marcel",
        "  Dupont   & Fils  ",
        "東京寿司",
        "Ünïcode Café",
        "\u0000\u0001",
        "\uD800 \u0085",
      ]),
      industry: textOf(50, INDUSTRIES),
      audience: textOf(120),
      tone: textOf(20, TONE_WORDS),
      pages: fc.array(textOf(15, PAGE_WORDS), { maxLength: 10 }),
      contactEmail: emailArb,
      language: textOf(8, LANGUAGE_WORDS),
      brandColor: fc.oneof(
        hexColor,
        hexColor.map((c) => c.slice(1).toUpperCase()),
        fc.constantFrom("#abc", "#ABC", "red"),
        textOf(8),
      ),
      tagline: textOf(60),
    },
    { requiredKeys: ["businessName", "industry"] },
  )
  .filter((raw) => rawBriefSchema.safeParse(raw).success);

/** Raw briefs normalize_brief accepts: a readable name and industry. */
const acceptedRawBriefArb = rawBriefArb.filter((raw) => visible(raw.businessName) && visible(raw.industry));

const baseBrief = (overrides: Partial<RawBrief> = {}) =>
  normalize({
    businessName: "Atelier Lumière",
    industry: "Photographe",
    language: "fr",
    contactEmail: "bonjour@atelier.fr",
    ...overrides,
  });

// ---- normalize_brief ---------------------------------------------------------------------

describe("design-ia normalize_brief", () => {
  it("returns a schema-valid brief for every raw brief with a readable name and industry, and rejects the rest", async () => {
    await fc.assert(
      fc.asyncProperty(rawBriefArb, async (raw) => {
        if (visible(raw.businessName) && visible(raw.industry)) {
          const brief = await normalize(raw);
          expect(brief.pages[0]).toBe("home");
          expect([...brief.pages]).toEqual(PAGE_KEYS.filter((key) => brief.pages.includes(key)));
        } else {
          await expect(normalize(raw)).rejects.toBeInstanceOf(ActionRejected);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("is idempotent: normalising a normalised brief gives the same brief", async () => {
    await fc.assert(
      fc.asyncProperty(acceptedRawBriefArb, async (raw) => {
        const once = await normalize(raw);
        expect(await normalize(toRaw(once))).toEqual(once);
      }),
      { numRuns: 300 },
    );
  });

  it("collapses whitespace and folds the slug to ASCII", async () => {
    const brief = await normalize({ businessName: "  Café\t\tÜnïcode \n & Co. ", industry: "  coffee   shop " });
    expect(brief.businessName).toBe("Café Ünïcode & Co.");
    expect(brief.industry).toBe("coffee shop");
    expect(brief.slug).toBe("cafe-unicode-co");
    expect((await normalize({ businessName: "Œuvre d'Art Straße", industry: "art" })).slug).toBe(
      "oeuvre-d-art-strasse",
    );
  });

  it("falls back to the slug 'site' when the name has no latin letter or digit", async () => {
    expect((await normalize({ businessName: "東京寿司", industry: "sushi" })).slug).toBe("site");
  });

  it("cuts a long slug to 48 characters at a word boundary", async () => {
    const brief = await normalize({
      businessName: "Boulangerie Pâtisserie Artisanale du Vieux Marché de la Croix-Rousse",
      industry: "bakery",
    });
    expect(brief.slug).toBe("boulangerie-patisserie-artisanale-du-vieux");
  });

  it.each([
    ["Restaurant italien", "restaurant"],
    ["Pizzeria", "restaurant"],
    ["Boulangerie pâtisserie", "restaurant"],
    ["Salon de thé", "restaurant"],
    ["Cabinet d'avocats", "legal"],
    ["Law firm", "legal"],
    ["Notaire", "legal"],
    ["Cabinet de kinésithérapie", "health"],
    ["Dental clinic", "health"],
    ["SaaS startup", "tech"],
    ["Éditeur de logiciels", "tech"],
    ["IT support", "tech"],
    ["Boutique de vêtements", "retail"],
    ["Florist", "retail"],
    ["Photographe", "creative"],
    ["Graphic design studio", "creative"],
    ["Marketing agency", "creative"],
    ["Plombier chauffagiste", "construction"],
    ["Home renovation", "construction"],
    ["École de langues", "education"],
    ["Private tutoring", "education"],
    ["Salon de coiffure", "beauty"],
    ["Spa & massage", "beauty"],
    ["Barber shop", "beauty"],
    ["Expert-comptable", "finance"],
    ["Insurance broker", "finance"],
    ["Dog walking", "services"],
    ["Conciergerie", "services"],
  ])("puts the industry %j in the family %s", async (industry, family) => {
    expect((await normalize({ businessName: "X", industry })).industryFamily).toBe(family);
  });

  it.each([
    ["formel", "professional"],
    ["serious", "professional"],
    ["Sérieux", "professional"],
    ["chaleureux", "friendly"],
    ["warm", "friendly"],
    ["très convivial", "friendly"],
    ["fun", "playful"],
    ["ludique", "playful"],
    ["premium", "luxury"],
    ["haut de gamme", "luxury"],
    ["Haut-de-gamme", "luxury"],
    ["high-end", "luxury"],
    ["audacieux", "bold"],
    ["daring", "bold"],
  ])("reads the tone %j as %s", async (tone, expected) => {
    expect((await normalize({ businessName: "X", industry: "Dog walking", tone })).tone).toBe(expected);
  });

  it("defaults the tone from the industry family when none is recognisable", async () => {
    expect((await normalize({ businessName: "X", industry: "Law firm" })).tone).toBe("professional");
    expect((await normalize({ businessName: "X", industry: "Restaurant", tone: "??" })).tone).toBe("friendly");
  });

  it.each<[string[] | undefined, PageKey[]]>([
    [undefined, ["home", "about", "services", "contact"]],
    [[], ["home", "about", "services", "contact"]],
    [
      ["Accueil", "À propos", "Prestations", "Contactez-nous"],
      ["home", "about", "services", "contact"],
    ],
    [
      ["Qui sommes-nous ?", "questions"],
      ["home", "about", "faq"],
    ],
    [
      ["FAQ", "Contact us", "contact", "Blog", "Shop"],
      ["home", "contact", "faq"],
    ],
    [
      ["faq", "Our services", "Home page"],
      ["home", "services", "faq"],
    ],
    [["Blog"], ["home"]],
  ])("maps the pages %j to %j (synonyms, dedupe, home first, PAGE_KEYS order)", async (pages, expected) => {
    expect((await normalize({ businessName: "X", industry: "Y", ...(pages && { pages }) })).pages).toEqual(expected);
  });

  it.each([
    ["fr", "fr"],
    ["FR", "fr"],
    ["fr-FR", "fr"],
    ["French", "fr"],
    ["français", "fr"],
    ["langue : Français", "fr"],
    ["en-GB", "en"],
    ["English", "en"],
    ["anglais", "en"],
    ["de-CH", "de"],
    ["Deutsch", "de"],
    ["allemand", "de"],
    ["es_ES", "es"],
    ["español", "es"],
    ["Spanish", "es"],
    ["it-IT", "it"],
    ["italiano", "it"],
    ["Italian", "it"],
    ["klingon", "en"],
    ["", "en"],
  ])("reads the language %j as %s", async (language, expected) => {
    expect((await normalize({ businessName: "X", industry: "Y", language })).language).toBe(expected);
  });

  it.each([
    ["#ABC", "#aabbcc"],
    ["abc", "#aabbcc"],
    ["#AaBbCc", "#aabbcc"],
    ["ABCDEF", "#abcdef"],
    [" #123456 ", "#123456"],
    ["#12345", null],
    ["red", null],
    ["#GGGGGG", null],
    ["rgb(0,0,0)", null],
  ])("normalises the brand colour %j to %j", async (brandColor, expected) => {
    expect((await normalize({ businessName: "X", industry: "Y", brandColor })).brandColor).toBe(expected);
  });

  it("lower-cases the contact email and leaves a missing one null", async () => {
    expect(
      (await normalize({ businessName: "X", industry: "Y", contactEmail: "Hello@Example.COM" })).contactEmail,
    ).toBe("hello@example.com");
    expect((await normalize({ businessName: "X", industry: "Y" })).contactEmail).toBeNull();
  });

  it("writes the default audience and tagline in the brief's language", async () => {
    const en = await normalize({ businessName: "Chez Marcel", industry: "Restaurant" });
    const fr = await normalize({ businessName: "Chez Marcel", industry: "Restaurant", language: "fr" });
    expect(fr.audience).not.toBe(en.audience);
    expect(fr.tagline).not.toBe(en.tagline);
    expect(fr.tagline).toContain("restauration");
    expect(en.tagline).toContain("food");
    const luxury = await normalize({ businessName: "Chez Marcel", industry: "Restaurant", tone: "luxe" });
    expect(luxury.tagline).not.toBe(en.tagline);
  });

  it("keeps the client's own audience and tagline, cleaned", async () => {
    const brief = await normalize({
      businessName: "X",
      industry: "Y",
      audience: " Young   parents ",
      tagline: "Since 1987.\n",
    });
    expect(brief.audience).toBe("Young parents");
    expect(brief.tagline).toBe("Since 1987.");
  });

  it("rejects a name with nothing readable in it, even when the input schema is bypassed", async () => {
    await expect(normalize({ businessName: "\u0000\u0001", industry: "Y" })).rejects.toBeInstanceOf(ActionRejected);
    await expect(
      normalize_brief.handler({ businessName: "   ", industry: "Y" }, actionContext("design-ia", "normalize_brief")),
    ).rejects.toBeInstanceOf(ActionRejected);
  });

  it("declares its timeout (5 s)", () => {
    expect(normalize_brief.timeoutMs).toBe(5_000);
  });
});

// ---- generate_design ---------------------------------------------------------------------

describe("design-ia generate_design", () => {
  it("gives every normalised brief a valid design whose four text pairs reach 4.5:1, as recorded", async () => {
    await fc.assert(
      fc.asyncProperty(acceptedRawBriefArb, async (raw) => {
        const d = await design(await normalize(raw));
        const p = d.palette;
        const pairs: [number, string, string][] = [
          [d.contrast.textOnBackground, p.text, p.background],
          [d.contrast.mutedTextOnBackground, p.mutedText, p.background],
          [d.contrast.textOnSurface, p.text, p.surface],
          [d.contrast.onPrimaryOnPrimary, p.onPrimary, p.primary],
        ];
        for (const [recorded, fg, bg] of pairs) {
          const real = wcagContrast(fg, bg);
          expect(real).toBeGreaterThanOrEqual(4.5);
          expect(recorded).toBeLessThanOrEqual(real + 0.001);
          expect(real - recorded).toBeLessThan(0.011);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("copes with an industry family it does not know (briefSchema allows any string)", async () => {
    const brief = { ...(await baseBrief()), industryFamily: "underwater-basket-weaving" };
    expect(designSchema.safeParse(await design(brief)).success).toBe(true);
  });

  it("keeps the brand colour as the primary, adjusting only onPrimary", async () => {
    await fc.assert(
      fc.asyncProperty(hexColor, fc.constantFrom(...TONES), async (brandColor, tone) => {
        const d = await design(await baseBrief({ brandColor, tone }));
        expect(d.palette.primary).toBe(brandColor);
        expect(wcagContrast(d.palette.onPrimary, brandColor)).toBeGreaterThanOrEqual(4.5);
      }),
    );
  });

  it("gives each industry family its own primary colour and differs in palette or layout between any two", async () => {
    const designs = await Promise.all(
      INDUSTRIES.map(async (industry) => design(await baseBrief({ industry, tone: "professional" }))),
    );
    expect(new Set(designs.map((d) => d.palette.primary)).size).toBe(INDUSTRIES.length);
    for (const [i, a] of designs.entries()) {
      for (const b of designs.slice(i + 1))
        expect(a.palette.primary !== b.palette.primary || a.layout !== b.layout).toBe(true);
    }
  });

  it("gives each tone a different palette, type scale and shape for the same business", async () => {
    const designs = await Promise.all(TONES.map(async (tone) => design(await baseBrief({ tone }))));
    expect(new Set(designs.map((d) => JSON.stringify(d.palette))).size).toBe(TONES.length);
    expect(new Set(designs.map((d) => `${d.typography.scaleRatio}/${d.radiusPx}`)).size).toBe(TONES.length);
  });

  it("is deterministic: the same brief always gives the same design", async () => {
    const brief = await baseBrief({ tone: "bold" });
    expect(await design(brief)).toEqual(await design(brief));
  });

  it("uses system font stacks only, with sizes in rem", async () => {
    for (const tone of TONES) {
      const { typography } = await design(await baseBrief({ tone }));
      for (const font of [typography.headingFont, typography.bodyFont]) {
        expect(font).not.toMatch(/url\(|@import|googleapis/i);
        expect(font).toMatch(/(?:sans-serif|serif|monospace)$/);
      }
      for (const size of Object.values(typography.sizes)) expect(size).toMatch(/^\d+(?:\.\d+)?rem$/);
    }
  });

  it("declares its timeout (5 s)", () => {
    expect(generate_design.timeoutMs).toBe(5_000);
  });
});

// ---- generate_content --------------------------------------------------------------------

const LONG_NAME =
  "Boulangerie Pâtisserie Artisanale Dupont et Fils du Vieux Marché de la Croix-Rousse à Lyon depuis dix-neuf cent trente";
const LONG_WORD = "A".repeat(120);
const LONG_INDUSTRY =
  "Boulangerie, pâtisserie, viennoiserie, traiteur, chocolaterie et glacier artisanal pour les particuliers et entreprises";
const WELCOME: Record<Brief["language"], RegExp> = {
  en: /^Welcome/,
  fr: /^Bienvenue/,
  de: /^Willkommen/,
  es: /^Te damos/,
  it: /^Benvenuti/,
};

function allText(page: PageContent): string {
  return [
    page.h1,
    page.intro,
    ...page.sections.flatMap((s) => [s.heading, ...s.paragraphs, ...(s.items ?? []).flatMap((i) => [i.title, i.text])]),
  ].join("\n");
}

describe("design-ia generate_content", () => {
  const cases = LANGUAGES.flatMap((language) => PAGE_KEYS.map((page) => [language, page] as const));

  it.each(cases)(
    "writes a valid %s %s page naming the business and the industry, even for 120-character names",
    async (language, page) => {
      for (const [businessName, industry] of [
        ["Atelier Lumière", "Photographe"],
        [LONG_NAME, LONG_INDUSTRY],
        [LONG_WORD, "Law firm"],
        ["Z", "Y"],
      ] as const) {
        const brief = await normalize({
          businessName,
          industry,
          language,
          contactEmail: "hello@example.com",
          pages: [...PAGE_KEYS],
        });
        const result = await content(brief, page);
        expect(result.language).toBe(language);
        expect(result.path).toBe(page === "home" ? "/" : `/${page}/`);
        expect(result.title.length).toBeLessThanOrEqual(60);
        expect(result.metaDescription.length).toBeGreaterThanOrEqual(50);
        expect(result.metaDescription.length).toBeLessThanOrEqual(160);
        expect(result.sections.length).toBeGreaterThanOrEqual(2);
        expect(result.sections.length).toBeLessThanOrEqual(5);
        expect(allText(result)).toContain(brief.businessName);
        expect(allText(result)).toContain(brief.industry);
        for (const cta of result.ctas) expect(cta.href).toMatch(/^(?:\/contact\/|mailto:hello@example\.com)$/);
      }
    },
  );

  it("writes each language's own words (navigation and welcome)", async () => {
    const labels = new Set<string>();
    for (const language of LANGUAGES) {
      const brief = await baseBrief({ language });
      expect((await content(brief, "home")).intro).toMatch(WELCOME[language]);
      labels.add((await content(brief, "about")).navLabel);
    }
    expect(labels.size).toBe(LANGUAGES.length);
  });

  it("shortens a long name in the title after a whole word, keeping the page label", async () => {
    const brief = await normalize({ businessName: LONG_NAME, industry: "Bakery", language: "en" });
    const about = await content(brief, "about");
    expect(about.title.startsWith("About | ")).toBe(true);
    const shown = about.title.slice("About | ".length);
    expect(shown.endsWith("…")).toBe(true);
    const kept = shown.slice(0, -1);
    expect(LONG_NAME.startsWith(kept)).toBe(true);
    expect(LONG_NAME[kept.length]).toBe(" ");
  });

  it("gives the home page an intro, an overview of services, reasons to choose and a call to action", async () => {
    const home = await content(await baseBrief({ language: "en" }), "home");
    expect(home.sections).toHaveLength(4);
    expect(home.sections[1]?.items).toHaveLength(3);
    expect(home.sections[2]?.items).toHaveLength(3);
    expect(home.h1).toBe("Atelier Lumière");
  });

  it("answers questions as FAQ items and lists services as items", async () => {
    const brief = await baseBrief();
    const faq = await content(brief, "faq");
    expect(faq.sections[0]?.items?.length).toBeGreaterThanOrEqual(4);
    for (const item of faq.sections[0]?.items ?? []) expect(item.title).toMatch(/\?$/);
    const services = await content(brief, "services");
    expect(services.sections[0]?.items?.length).toBeGreaterThanOrEqual(3);
  });

  it("links the contact page to a mailto: when there is an email, and shows the address", async () => {
    const contact = await content(await baseBrief(), "contact");
    expect(contact.ctas).toEqual([{ label: expect.any(String) as unknown, href: "mailto:bonjour@atelier.fr" }]);
    expect(allText(contact)).toContain("bonjour@atelier.fr");
    const withoutEmail = await content(await normalize({ businessName: "X", industry: "Y" }), "contact");
    expect(withoutEmail.ctas.every((cta) => !cta.href.startsWith("mailto:"))).toBe(true);
  });

  it("never links a call to action to a page the site does not have", async () => {
    const brief = await normalize({ businessName: "X", industry: "Y", pages: ["home", "about"] });
    for (const page of brief.pages) {
      for (const cta of (await content(brief, page)).ctas) expect(["/", "/about/"]).toContain(cta.href);
    }
  });

  it("tells the story at more length with an editorial design", async () => {
    const brief = await baseBrief();
    const d = await design(brief);
    const editorial = await content(brief, "about", { ...d, layout: "editorial" });
    const grid = await content(brief, "about", { ...d, layout: "grid" });
    expect(editorial.sections[0]!.paragraphs.length).toBeGreaterThan(grid.sections[0]!.paragraphs.length);
  });

  it("writes a valid page for every normalised brief and page, naming the business and the industry", async () => {
    await fc.assert(
      fc.asyncProperty(acceptedRawBriefArb, fc.constantFrom(...PAGE_KEYS), async (raw, page) => {
        const brief = await normalize(raw);
        const text = allText(await content(brief, page));
        expect(text).toContain(brief.businessName);
        expect(text).toContain(brief.industry);
      }),
      { numRuns: 300 },
    );
  });

  it("declares its timeout (10 s)", () => {
    expect(generate_content.timeoutMs).toBe(30_000);
  });
});
