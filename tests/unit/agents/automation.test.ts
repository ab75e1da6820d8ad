/**
 * automation/build_site: the generated files are valid, accessible HTML that loads nothing from
 * another origin, links only to files the site has (relatively, so it works under any prefix),
 * and escapes every text it was given.
 */
import fc from "fast-check";
import { HtmlValidate } from "html-validate";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { z } from "zod";
import { automation } from "@/agents/automation";
import type { buildSiteInput } from "@/agents/automation/build-site";
import { cssLength, fontStack } from "@/agents/automation/stylesheet";
import { LAYOUTS, siteSchema, type Site } from "@/agents/schemas";
import { BUSINESS_NAME, brief, design, pages } from "./automation-fixtures";
import { actionContext } from "../../helpers/agents";

const build = automation.actions.build_site;

async function buildSite(input: z.input<typeof buildSiteInput>): Promise<Site> {
  return siteSchema.parse(await build.handler(build.input.parse(input), actionContext("automation", "build_site")));
}

const file = (site: Site, path: string): string => {
  const found = site.files.find((f) => f.path === path);
  if (!found) throw new Error(`no ${path} in ${site.files.map((f) => f.path).join(", ")}`);
  return found.content;
};
const htmlFiles = (site: Site) => site.files.filter((f) => f.path.endsWith(".html"));
const attributeUrls = (html: string) => [...html.matchAll(/\s(?:href|src)\s*=\s*"([^"]*)"/g)].map((m) => m[1]!);
const headingLevels = (html: string) => [...html.matchAll(/<h([1-6])\b/g)].map((m) => Number(m[1]));

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("automation/build_site", () => {
  it("generates an index.html per page, a 404 page, the stylesheet, the sitemap and robots.txt, and lists the page paths", async () => {
    const site = await buildSite({ brief, design, pages });
    expect(site.slug).toBe("tom-and-jerry");
    expect(site.pages).toEqual(["/", "/about/", "/services/", "/contact/"]);
    expect(site.files.map((f) => f.path)).toEqual([
      "index.html",
      "about/index.html",
      "services/index.html",
      "contact/index.html",
      "404.html",
      "styles.css",
      "favicon.svg",
      "sitemap.xml",
      "robots.txt",
    ]);
    expect(site.files.find((f) => f.path === "styles.css")?.contentType).toMatch(/^text\/css/);
    expect(site.files.find((f) => f.path === "sitemap.xml")?.contentType).toMatch(/^application\/xml/);
    for (const f of htmlFiles(site)) expect(f.contentType).toBe("text/html; charset=utf-8");
  });

  it("every HTML file passes html-validate's recommended rules, heading order and reference checks included", async () => {
    const site = await buildSite({ brief, design, pages });
    const validator = new HtmlValidate({
      extends: ["html-validate:recommended"],
      rules: {
        // The one stylistic choice: the lower-case `<!doctype html>` of the HTML standard's examples.
        "doctype-style": ["error", { style: "lowercase" }],
        "heading-level": "error",
        "missing-doctype": "error",
        "no-missing-references": "error",
      },
    });
    for (const f of htmlFiles(site)) {
      const report = await validator.validateString(f.content, f.path);
      const messages = report.results.flatMap((r) =>
        r.messages.map((m) => `${f.path}:${m.line} ${m.ruleId} ${m.message}`),
      );
      expect(messages).toEqual([]);
    }
  });

  it("every page has lang, charset, viewport, a title, a meta description, a skip link, labelled nav, main, one h1, no skipped heading level, alt on images", async () => {
    const site = await buildSite({ brief, design, pages });
    for (const f of htmlFiles(site)) {
      const html = f.content;
      expect(html.startsWith('<!doctype html>\n<html lang="en">'), f.path).toBe(true);
      expect(html).toContain('<meta charset="utf-8">');
      expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      expect(html).toMatch(/<title>[^<]+<\/title>/);
      expect(html).toMatch(/<meta name="description" content="[^"]{20,}">/);
      expect(html).toMatch(/<a class="skip-link" href="#main">/);
      expect(html).toMatch(/<header[^>]*>[\s\S]*<nav aria-label="[^"]+">[\s\S]*<\/nav>[\s\S]*<\/header>/);
      expect(html).toContain('<main id="main">');
      expect(html).toMatch(/<footer[^>]*>[\s\S]*<\/footer>/);
      const levels = headingLevels(html);
      expect(
        levels.filter((l) => l === 1),
        f.path,
      ).toHaveLength(1);
      expect(levels[0]).toBe(1);
      levels.forEach((level, i) => {
        if (i > 0) expect(level, `${f.path}: h${levels[i - 1]} then h${level}`).toBeLessThanOrEqual(levels[i - 1]! + 1);
      });
      for (const img of html.match(/<img\b[^>]*>/g) ?? []) expect(img).toMatch(/\salt="/);
      for (const svg of html.match(/<svg\b[^>]*>/g) ?? []) expect(svg).toContain('aria-hidden="true"');
    }
  });

  it("marks exactly the current page in the navigation with aria-current", async () => {
    const site = await buildSite({ brief, design, pages });
    for (const [path, href] of [
      ["index.html", "./"],
      ["about/index.html", "../about/"],
      ["contact/index.html", "../contact/"],
    ] as const) {
      const current = [...file(site, path).matchAll(/<a href="([^"]*)" aria-current="page">/g)].map((m) => m[1]);
      expect(current).toEqual([href]);
    }
    expect(file(site, "404.html")).not.toContain("aria-current");
  });

  it("links between pages are relative to the page: from about/, home is ../, contact ../contact/, the CSS ../styles.css", async () => {
    const site = await buildSite({ brief, design, pages });
    const about = attributeUrls(file(site, "about/index.html"));
    expect(about).toEqual(
      expect.arrayContaining([
        "../",
        "../contact/",
        "../services/",
        "../styles.css",
        "../favicon.svg",
        "../services/#main",
      ]),
    );
    const home = attributeUrls(file(site, "index.html"));
    expect(home).toEqual(expect.arrayContaining(["./", "about/", "contact/", "styles.css"]));
    expect(home).toContain("mailto:hello@tomandjerry.example");
    const services = file(site, "services/index.html");
    expect(services).toContain('href="mailto:orders@tomandjerry.example?subject=Order&amp;body=Hi"');
  });

  it("no src, href or url() points to another origin (no absolute or protocol-relative URL, only mailto:)", async () => {
    const site = await buildSite({ brief, design, pages });
    for (const f of htmlFiles(site)) {
      for (const url of attributeUrls(f.content)) {
        if (url.startsWith("mailto:")) continue;
        expect(url, `${f.path}: ${url}`).not.toMatch(/^(?:[a-z][a-z0-9+.-]*:|\/\/)/i);
      }
      expect(f.content).not.toMatch(/<script\b|<iframe\b|<link[^>]+href="(?:https?:)?\/\//i);
    }
    const css = file(site, "styles.css");
    expect(css).not.toMatch(/url\(|@import|@font-face/);
  });

  it("every relative link of every page (and of the 404 page at the root) resolves to a generated file or an id of the page", async () => {
    const site = await buildSite({ brief, design, pages });
    const paths = new Set(site.files.map((f) => f.path));
    for (const f of htmlFiles(site)) {
      for (const href of attributeUrls(f.content)) {
        if (href.startsWith("mailto:")) continue;
        const url = new URL(href.replaceAll("&amp;", "&"), `http://site.test/root/${f.path}`);
        expect(url.pathname.startsWith("/root/"), `${f.path}: ${href} leaves the site`).toBe(true);
        const target = url.pathname.slice("/root/".length);
        const targetFile = target === "" || target.endsWith("/") ? `${target}index.html` : target;
        expect(paths.has(targetFile), `${f.path}: ${href} → ${targetFile}`).toBe(true);
        if (url.hash) expect(file(site, targetFile)).toContain(`id="${url.hash.slice(1)}"`);
      }
    }
  });

  it("escapes every text: a business name with <script> and & never appears raw", async () => {
    const site = await buildSite({ brief, design, pages });
    const escaped = "Tom &amp; Jerry &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;";
    for (const f of htmlFiles(site)) {
      expect(f.content).not.toContain(BUSINESS_NAME);
      expect(f.content).not.toMatch(/<script/i);
      expect(f.content).toContain(escaped);
    }
    expect(file(site, "index.html")).toContain(`<h1>${escaped}</h1>`);
    expect(file(site, "about/index.html")).toContain("<h1>About &lt;of&gt; ours</h1>");
    expect(file(site, "about/index.html")).toContain("Butter &lt; 30 % of the dough, flakes &gt; 100 layers.");
  });

  it("the sitemap lists every page with its absolute URL under /sites/<slug>/, and robots.txt allows all and names it", async () => {
    const site = await buildSite({ brief, design, pages, baseUrl: "https://sites.example.com/" });
    const locs = [...file(site, "sitemap.xml").matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]);
    expect(locs).toEqual(site.pages.map((p) => `https://sites.example.com/sites/tom-and-jerry${p}`));
    expect(file(site, "robots.txt")).toBe(
      "User-agent: *\nAllow: /\n\nSitemap: https://sites.example.com/sites/tom-and-jerry/sitemap.xml\n",
    );
  });

  it("the sitemap's base is the input baseUrl, else PUBLIC_BASE_URL, else http://localhost:3000, read at call time", async () => {
    const firstLoc = async (baseUrl?: string) =>
      /<loc>([^<]+)<\/loc>/.exec(file(await buildSite({ brief, design, pages, baseUrl }), "sitemap.xml"))?.[1];
    vi.stubEnv("PUBLIC_BASE_URL", "");
    vi.stubEnv("PORT", "");
    expect(await firstLoc()).toBe("http://localhost:3000/sites/tom-and-jerry/");
    vi.stubEnv("PUBLIC_BASE_URL", "https://public.example.org");
    expect(await firstLoc()).toBe("https://public.example.org/sites/tom-and-jerry/");
    expect(await firstLoc("https://explicit.example.net")).toBe("https://explicit.example.net/sites/tom-and-jerry/");
  });

  it.each(LAYOUTS)(
    "the stylesheet carries the palette, type sizes, the %s layout, a breakpoint, focus styles and reduced motion",
    async (layout) => {
      const site = await buildSite({ brief, design: { ...design, layout }, pages });
      const css = file(site, "styles.css");
      for (const [name, value] of Object.entries(design.palette)) expect(css, name).toContain(`: ${value};`);
      expect(css).toContain("--color-primary: #8a3b12;");
      expect(css).toContain("--size-h1: 2.441rem;");
      expect(css).toContain(`.layout-${layout} `);
      expect(file(site, "index.html")).toContain(`<body class="layout-${layout} `);
      expect(css).toMatch(/@media \(min-width: [\d.]+em\)/);
      expect(css).toMatch(/:focus-visible \{ outline: 3px solid/);
      expect(css).toMatch(/@media \(prefers-reduced-motion: reduce\)/);
    },
  );

  it("fonts are local stacks only: a design's font list cannot inject CSS or load a font", () => {
    expect(fontStack('Inter, "Helvetica Neue", system-ui')).toBe('"Inter", "Helvetica Neue", system-ui');
    expect(fontStack("Georgia")).toBe('"Georgia", sans-serif');
    expect(fontStack("Garamond, serif")).toBe('"Garamond", serif');
    const hostile = fontStack("x; } body { background: url(https://evil.example/a.png) } a {");
    expect(hostile).not.toMatch(/url|[;{}]/);
    expect(cssLength("clamp(2rem, 1.5rem + 2vw, 3rem)", "1rem")).toBe("clamp(2rem, 1.5rem + 2vw, 3rem)");
    expect(cssLength("2rem; } * { color: red", "1.5rem")).toBe("1.5rem");
  });

  it("the same input builds the same files (no dates or random parts)", async () => {
    expect(await buildSite({ brief, design, pages })).toEqual(await buildSite({ brief, design, pages }));
  });

  it("writes the interface words in the page's language", async () => {
    const french = pages.map((p) => ({ ...p, language: "fr" as const }));
    const site = await buildSite({ brief: { ...brief, language: "fr" }, design, pages: french });
    expect(file(site, "index.html")).toContain('<html lang="fr">');
    expect(file(site, "index.html")).toContain("Aller au contenu principal");
    expect(file(site, "404.html")).toContain("Page introuvable");
  });

  it.each([
    ["no home page", pages.slice(1), /home page/],
    [
      "two pages with one path",
      [...pages, { ...pages[1]!, page: "faq" as const }],
      /two pages have the path \/about\//,
    ],
    [
      "a call to action to a page the site lacks",
      [{ ...pages[0]!, ctas: [{ label: "FAQ", href: "/faq/" }] }],
      /"\/faq\/"/,
    ],
    [
      "a call to action to another origin",
      [{ ...pages[0]!, ctas: [{ label: "Shop", href: "https://shop.example.com/" }] }],
      /shop\.example\.com/,
    ],
  ])("refuses pages that cannot make a site: %s", async (_name, bad, message) => {
    await expect(buildSite({ brief, design, pages: bad })).rejects.toMatchObject({
      code: "unprocessable",
      message: expect.stringMatching(message),
    });
  });

  it("whatever text the content holds, it comes out escaped and the page stays one h1 with relative links", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 60 }),
        fc.string({ minLength: 1, maxLength: 80 }),
        async (name, h1) => {
          const site = await buildSite({
            brief: { ...brief, businessName: name },
            design,
            pages: pages.map((p) => ({ ...p, h1 })),
          });
          for (const f of htmlFiles(site)) {
            const text = f.content.replace(/<[a-z/!][^<>]*>/gi, "");
            expect(text).not.toMatch(/[<>]/);
            expect(text).not.toMatch(/&(?!(?:amp|lt|gt|quot|#39);)/);
            expect(headingLevels(f.content).filter((l) => l === 1)).toHaveLength(1);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
