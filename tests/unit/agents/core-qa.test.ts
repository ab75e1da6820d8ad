import { describe, expect, it } from "vitest";
import type { Db } from "@/db/client";
import { core } from "@/agents/core";
import { qaReportSchema, type QaReport } from "@/agents/core/qa/report";
import type { ActionContext } from "@/agents/framework";
import type { Site, SiteFile } from "@/agents/schemas";

function context(signal = new AbortController().signal): ActionContext {
  // qa_check never touches the database.
  return { db: {} as Db, agent: "core", action: "qa_check", idempotencyKey: null, attempt: 1, taskId: null, signal };
}

async function qaCheck(site: Site, signal?: AbortSignal): Promise<QaReport> {
  const action = core.actions.qa_check;
  return qaReportSchema.parse(await action.handler(action.input.parse({ site }), context(signal)));
}

// ---- fixture sites ---------------------------------------------------------------------

interface PageParams {
  title?: string;
  lang?: string;
  head?: string;
  body: string;
  /** Relative path from the page to the site root ("", "../"). */
  root?: string;
}

function page({ title = "Acme Plumbing", lang = 'lang="en"', head = "", body, root = "" }: PageParams): string {
  return `<!doctype html>
<html ${lang}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="${root}styles.css">
${head}
</head>
<body>
<a href="#main">Skip to content</a>
<header>
<nav aria-label="Main">
<ul><li><a href="${root || "./"}">Home</a></li><li><a href="${root}about/">About</a></li><li><a href="/contact/">Contact</a></li></ul>
</nav>
</header>
<main id="main">
${body}
</main>
<footer><p>Acme Plumbing, 1 Water Street</p></footer>
</body>
</html>
`;
}

const html = (path: string, content: string): SiteFile => ({ path, contentType: "text/html; charset=utf-8", content });
const css = (path: string, content: string): SiteFile => ({ path, contentType: "text/css; charset=utf-8", content });
const LOGO: SiteFile = {
  path: "images/logo.svg",
  contentType: "image/svg+xml",
  content: '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>',
};
const STYLES = css(
  "styles.css",
  'body { font-family: system-ui, sans-serif; }\n.hero { background: url("images/logo.svg") no-repeat; }\n',
);

function site(files: SiteFile[]): Site {
  return { slug: "acme-plumbing", files, pages: ["/", "/about/", "/contact/"] };
}

const cleanHome = page({
  body: `<h1>Acme Plumbing</h1>
<p>Friendly plumbers since 1990. <a href="contact">Ask for a quote</a> or <a href="mailto:hello@acme.test">write to us</a>.</p>
<h2>Services</h2>
<img src="images/logo.svg" alt="Acme logo" width="120" height="40">
<h3>Repairs</h3>
<p>Leaks, boilers and <a href="about/#team">our team</a>.</p>`,
});
const cleanAbout = page({
  root: "../",
  body: `<h1>About us</h1>
<h2 id="team">Our team</h2>
<p>Twelve plumbers. <a href="../contact/">Contact</a>, <a href="../../styles.css">styles</a>, <a href="/sites/acme-plumbing/">home</a>.</p>`,
});
const cleanContact = page({
  root: "../",
  body: `<h1>Contact</h1>
<form action="../" method="post">
<label for="email">Email</label> <input id="email" name="email" type="email">
<button type="submit">Send</button>
</form>
<p><a href="tel:+33100000000">Call us</a></p>`,
});

const cleanSite = (): Site =>
  site([
    html("index.html", cleanHome),
    html("about/index.html", cleanAbout),
    html("contact/index.html", cleanContact),
    STYLES,
    LOGO,
  ]);

describe("core.qa_check on a clean site", () => {
  it("passes with score 100 and no finding", async () => {
    const report = await qaCheck(cleanSite());
    expect(report.pages.flatMap((p) => [...p.htmlErrors, ...p.accessibility])).toEqual([]);
    expect(report.brokenLinks).toEqual([]);
    expect(report.externalRequests).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report.score).toBe(100);
    expect(report.pages.map((p) => p.path)).toEqual(["/", "/about/", "/contact/"]);
  });

  it("weighs each page with the stylesheet and image it loads, and counts every file in totalBytes", async () => {
    const report = await qaCheck(cleanSite());
    const home = report.pages.find((p) => p.path === "/");
    const bytes = (text: string): number => Buffer.byteLength(text, "utf8");
    expect(home?.bytes).toBe(bytes(cleanHome) + bytes(STYLES.content) + bytes(LOGO.content));
    expect(report.totalBytes).toBe(
      [cleanHome, cleanAbout, cleanContact, STYLES.content, LOGO.content].reduce((sum, t) => sum + bytes(t), 0),
    );
  });
});

describe("core.qa_check on a faulty site", () => {
  const faultyHome = page({
    head: '<script src="https://cdn.example.com/lib.js"></script>',
    body: `<h1>Acme Plumbing</h1>
<h3>Services</h3>
<img src="images/logo.svg" width="120" height="40">
<ul><div>Repairs</div></ul>`,
  });
  const faultyAbout = page({
    root: "../",
    body: '<h1>About</h1>\n<p><a href="team/">Our team</a> and <a href="../contact/">contact</a>.</p>',
  });
  const faulty = (): Site =>
    site([
      html("index.html", faultyHome),
      html("about/index.html", faultyAbout),
      html("contact/index.html", cleanContact),
      STYLES,
      LOGO,
    ]);

  it("reports the missing alt, the skipped heading level, the broken relative link, the external script and the invalid nesting", async () => {
    const report = await qaCheck(faulty());
    const home = report.pages.find((p) => p.path === "/");
    expect(home?.accessibility.map((i) => i.rule)).toEqual(expect.arrayContaining(["wcag/h37", "heading-level"]));
    expect(home?.htmlErrors).toContainEqual(
      expect.objectContaining({ rule: "element-permitted-content", line: expect.any(Number) as unknown }),
    );
    expect(report.brokenLinks).toEqual([{ from: "/about/", href: "team/" }]);
    expect(report.externalRequests).toEqual([{ from: "/", url: "https://cdn.example.com/lib.js" }]);
    expect(report.passed).toBe(false);
    expect(report.score).toBeLessThan(100);
  });

  it("keeps the other pages clean: findings stay with the page they come from", async () => {
    const report = await qaCheck(faulty());
    const contact = report.pages.find((p) => p.path === "/contact/");
    expect(contact?.htmlErrors).toEqual([]);
    expect(contact?.accessibility).toEqual([]);
  });
});

describe("core.qa_check accessibility basics", () => {
  it("reports a missing lang, an empty title, two h1, a missing viewport, an unlabelled input and a link without text", async () => {
    const bare = `<!doctype html>
<html>
<head><meta charset="utf-8"><title> </title></head>
<body>
<main>
<h1>One</h1>
<h1>Two</h1>
<form action="./"><input name="q" type="text"><button type="submit">Search</button></form>
<p><a href="./"></a></p>
</main>
</body>
</html>`;
    const report = await qaCheck(site([html("index.html", bare)]));
    const rules = report.pages[0]?.accessibility.map((i) => i.rule);
    expect(rules).toEqual(
      expect.arrayContaining([
        "html-lang",
        "document-title",
        "single-h1",
        "viewport-meta",
        "input-missing-label",
        "wcag/h30",
      ]),
    );
    // lang is reported once, as accessibility, not also as an HTML error.
    expect(report.pages[0]?.htmlErrors.filter((e) => e.message.includes("lang"))).toEqual([]);
  });

  it("reports a viewport that prevents zooming", async () => {
    const head = '<meta name="viewport" content="width=device-width, user-scalable=no">';
    const content = page({ body: "<h1>Acme</h1>" }).replace(
      '<meta name="viewport" content="width=device-width, initial-scale=1">',
      head,
    );
    const report = await qaCheck(site([html("index.html", content), STYLES]));
    expect(report.pages[0]?.accessibility).toEqual([
      expect.objectContaining({ rule: "viewport-meta", message: expect.stringContaining("zoom") as unknown }),
    ]);
  });
});

describe("core.qa_check links and requests", () => {
  it("resolves links like a browser: page-relative, root-relative, under /sites/<slug>/, with fragments checked", async () => {
    const about = page({
      root: "../",
      body: `<h1>About</h1>
<h2 id="team">Our team</h2>
<p id="here"><a href="../contact">ok</a> <a href="#here">ok</a> <a href="#nowhere">bad</a> <a href="../about/#here">ok</a>
<a href="/sites/acme-plumbing/contact/">ok</a> <a href="/sites/other/contact/">bad</a> <a href="contact/">bad</a> <a href="sms:123">ignored</a></p>`,
    });
    const report = await qaCheck(
      site([
        html("index.html", cleanHome),
        html("about/index.html", about),
        html("contact/index.html", cleanContact),
        STYLES,
        LOGO,
      ]),
    );
    expect(report.brokenLinks).toEqual([
      { from: "/about/", href: "#nowhere" },
      { from: "/about/", href: "/sites/other/contact/" },
      { from: "/about/", href: "contact/" },
    ]);
  });

  it("counts protocol-relative and absolute URLs in href, src, srcset, inline styles, stylesheets and inline SVG", async () => {
    const home = page({
      head: '<link rel="stylesheet" href="//fonts.example.com/css">',
      body: `<h1>Acme</h1>
<p style="background: url('https://img.example.com/bg.png')"><a href="https://www.example.org/">Partner</a></p>
<img src="images/logo.svg" srcset="images/logo.svg 1x, https://img.example.com/logo@2x.png 2x" alt="Logo">
<svg aria-hidden="true"><image href="https://img.example.com/icon.png" width="1" height="1"/></svg>`,
    });
    const styles = css(
      "styles.css",
      '@import "https://fonts.example.com/more.css";\nbody { background: url(//img.example.com/tile.png); }',
    );
    const report = await qaCheck(site([html("index.html", home), styles, LOGO]));
    expect(report.externalRequests).toEqual(
      expect.arrayContaining([
        { from: "/styles.css", url: "https://fonts.example.com/more.css" },
        { from: "/styles.css", url: "//img.example.com/tile.png" },
        { from: "/", url: "//fonts.example.com/css" },
        { from: "/", url: "https://img.example.com/bg.png" },
        { from: "/", url: "https://www.example.org/" },
        { from: "/", url: "https://img.example.com/logo@2x.png" },
        { from: "/", url: "https://img.example.com/icon.png" },
      ]),
    );
    expect(report.externalRequests).toHaveLength(7);
    expect(report.passed).toBe(false);
  });

  it("reports a stylesheet's url() to a file the site does not have, from the stylesheet", async () => {
    const styles = css("styles.css", ".hero { background: url(images/missing.png); } /* url(commented.png) */");
    const report = await qaCheck(
      site([
        html("index.html", cleanHome),
        html("about/index.html", cleanAbout),
        html("contact/index.html", cleanContact),
        styles,
        LOGO,
      ]),
    );
    expect(report.brokenLinks).toEqual([{ from: "/styles.css", href: "images/missing.png" }]);
  });
});

describe("core.qa_check page weight and robustness", () => {
  it("flags a page over 100 KB with its CSS, without failing the check", async () => {
    const heavy = css("styles.css", `/* ${"x".repeat(110 * 1024)} */`);
    const report = await qaCheck(
      site([
        html("index.html", cleanHome),
        html("about/index.html", cleanAbout),
        html("contact/index.html", cleanContact),
        heavy,
        LOGO,
      ]),
    );
    expect(report.pages.every((p) => p.overWeight && p.bytes > 100 * 1024)).toBe(true);
    expect(report.passed).toBe(true);
    expect(report.score).toBeLessThan(100);
  });

  it("reports markup it cannot even tokenize as an HTML error instead of failing", async () => {
    const report = await qaCheck(site([html("index.html", '<div <<< <a href="nowhere/">x</a>')]));
    expect(report.pages[0]?.htmlErrors.map((e) => e.rule)).toContain("parser-error");
    expect(report.brokenLinks).toEqual([{ from: "/", href: "nowhere/" }]);
    expect(report.passed).toBe(false);
  });

  it("stops when the call is aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("timed out"));
    await expect(qaCheck(cleanSite(), controller.signal)).rejects.toThrow("timed out");
  });
});
