/**
 * The HTML of a generated page: a complete, accessible document (lang, charset, viewport,
 * title, description, skip link, labelled navigation with the current page marked, one h1,
 * h2 per section and h3 per item, so levels never skip) that loads nothing but the site's own
 * stylesheet and icon. Every text is escaped; decorative SVG is inline and hidden from
 * assistive technology.
 */
import type { Brief, Design, PageContent } from "../schemas";
import { escapeHtml as e, LABELS, type Language, type SiteLabels } from "./markup";
import { relativeHref, resolveCtaHref } from "./site-links";

export interface SiteModel {
  brief: Brief;
  design: Design;
  /** In navigation order. */
  pages: PageContent[];
}

const MAX_TITLE = 70;

/**
 * The page title, followed by the business name when it fits and is not already there. The
 * length is measured escaped, as validators (html-validate `long-title`) count it.
 */
export function documentTitle(title: string, businessName: string): string {
  const combined = `${title} | ${businessName}`;
  return title.toLowerCase().includes(businessName.toLowerCase()) || e(combined).length > MAX_TITLE ? title : combined;
}

const BRAND_MARK = [
  '<svg class="brand-mark" aria-hidden="true" focusable="false" viewBox="0 0 32 32" width="32" height="32">',
  '  <rect class="mark-bg" width="32" height="32" rx="8"></rect>',
  '  <circle class="mark-dot" cx="16" cy="16" r="7"></circle>',
  "</svg>",
];

const HERO_ART = [
  '<svg class="hero-art" aria-hidden="true" focusable="false" viewBox="0 0 400 320" width="400" height="320">',
  '  <rect class="art-surface" x="30" y="30" width="340" height="260" rx="28"></rect>',
  '  <circle class="art-primary" cx="140" cy="140" r="74"></circle>',
  '  <rect class="art-secondary" x="190" y="150" width="140" height="110" rx="18"></rect>',
  '  <circle class="art-accent" cx="305" cy="85" r="30"></circle>',
  "</svg>",
];

function indent(lines: readonly string[], depth: number): string[] {
  const pad = "  ".repeat(depth);
  return lines.map((l) => (l === "" ? l : pad + l));
}

interface ShellParams {
  site: SiteModel;
  /** The page path the document is served at (links are relative to it). */
  at: string;
  /** The nav entry to mark as current, if any. */
  current: string | null;
  language: Language;
  title: string;
  description: string;
  noindex?: boolean;
  main: string[];
}

function head(p: ShellParams): string[] {
  return [
    "<head>",
    '  <meta charset="utf-8">',
    '  <meta name="viewport" content="width=device-width, initial-scale=1">',
    `  <title>${e(p.title)}</title>`,
    `  <meta name="description" content="${e(p.description)}">`,
    ...(p.noindex ? ['  <meta name="robots" content="noindex">'] : []),
    `  <meta name="theme-color" content="${p.site.design.palette.primary}">`,
    `  <link rel="icon" href="${relativeHref(p.at, "favicon.svg")}" type="image/svg+xml">`,
    `  <link rel="stylesheet" href="${relativeHref(p.at, "styles.css")}">`,
    "</head>",
  ];
}

function header(p: ShellParams, labels: SiteLabels): string[] {
  const items = p.site.pages.map((page) => {
    const current = page.path === p.current ? ' aria-current="page"' : "";
    return `        <li><a href="${relativeHref(p.at, page.path.slice(1))}"${current}>${e(page.navLabel)}</a></li>`;
  });
  return [
    '<header class="site-header">',
    '  <div class="container header-inner">',
    `    <a class="brand" href="${relativeHref(p.at, "")}">`,
    ...indent(BRAND_MARK, 3),
    `      <span>${e(p.site.brief.businessName)}</span>`,
    "    </a>",
    `    <nav aria-label="${e(labels.mainNav)}">`,
    '      <ul class="nav-list">',
    ...items,
    "      </ul>",
    "    </nav>",
    "  </div>",
    "</header>",
  ];
}

function footer(site: SiteModel, labels: SiteLabels): string[] {
  const { businessName, tagline, contactEmail } = site.brief;
  return [
    '<footer class="site-footer">',
    '  <div class="container footer-inner">',
    `    <p class="footer-brand">${e(businessName)}: ${e(tagline)}</p>`,
    ...(contactEmail
      ? [`    <p><a href="mailto:${e(contactEmail)}">${e(labels.emailUs)}: ${e(contactEmail)}</a></p>`]
      : []),
    `    <p class="footer-copy">© ${e(businessName)}</p>`,
    "  </div>",
    "</footer>",
  ];
}

function documentShell(p: ShellParams): string {
  const labels = LABELS[p.language];
  const { layout } = p.site.design;
  return [
    "<!doctype html>",
    `<html lang="${p.language}">`,
    ...head(p),
    `<body class="layout-${layout} tone-${p.site.brief.tone}">`,
    `  <a class="skip-link" href="#main">${e(labels.skipLink)}</a>`,
    ...indent(header(p, labels), 1),
    '  <main id="main">',
    ...indent(p.main, 2),
    "  </main>",
    ...indent(footer(p.site, labels), 1),
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

function ctaLinks(site: SiteModel, page: PageContent): string[] {
  const paths = new Set(site.pages.map((p) => p.path));
  return page.ctas.map((cta, i) => {
    const target = resolveCtaHref(cta.href, paths);
    // build_site refuses unresolvable targets before rendering; home is the safe fallback.
    const href =
      target?.kind === "mailto"
        ? target.href
        : relativeHref(page.path, target ? target.path.slice(1) + target.fragment : "");
    return `<a class="button ${i === 0 ? "button-primary" : "button-secondary"}" href="${e(href)}">${e(cta.label)}</a>`;
  });
}

function sectionMarkup(section: PageContent["sections"][number], alt: boolean): string[] {
  const items = section.items ?? [];
  return [
    `<section class="section${alt ? " section-alt" : ""}">`,
    '  <div class="container">',
    `    <h2>${e(section.heading)}</h2>`,
    ...section.paragraphs.map((text) => `    <p>${e(text)}</p>`),
    ...(items.length > 0
      ? [
          '    <ul class="cards">',
          ...items.flatMap((item) => [
            '      <li class="card">',
            `        <h3>${e(item.title)}</h3>`,
            `        <p>${e(item.text)}</p>`,
            "      </li>",
          ]),
          "    </ul>",
        ]
      : []),
    "  </div>",
    "</section>",
  ];
}

/** One page of the site, served at `page.path`. */
export function renderPage(site: SiteModel, page: PageContent): string {
  const isHome = page.path === "/";
  const hero = [
    '<section class="hero">',
    '  <div class="container hero-inner">',
    '    <div class="hero-text">',
    `      <h1>${e(page.h1)}</h1>`,
    ...(isHome ? [`      <p class="tagline">${e(site.brief.tagline)}</p>`] : []),
    `      <p class="intro">${e(page.intro)}</p>`,
    '      <p class="cta-row">',
    ...ctaLinks(site, page).map((l) => `        ${l}`),
    "      </p>",
    "    </div>",
    ...(site.design.layout === "split" ? indent(HERO_ART, 2) : []),
    "  </div>",
    "</section>",
  ];
  return documentShell({
    site,
    at: page.path,
    current: page.path,
    language: page.language,
    title: documentTitle(page.title, site.brief.businessName),
    description: page.metaDescription,
    main: [...hero, ...page.sections.flatMap((s, i) => sectionMarkup(s, i % 2 === 0))],
  });
}

/**
 * The site's 404 page, written for the site root; the server moves its relative links down
 * to the depth of the missing path it answers.
 */
export function renderNotFoundPage(site: SiteModel): string {
  const labels = LABELS[site.brief.language];
  return documentShell({
    site,
    at: "/",
    current: null,
    language: site.brief.language,
    title: documentTitle(labels.notFoundTitle, site.brief.businessName),
    description: `${labels.notFoundText} ${site.brief.businessName}: ${site.brief.tagline}`,
    noindex: true,
    main: [
      '<section class="hero">',
      '  <div class="container">',
      `    <h1>${e(labels.notFoundTitle)}</h1>`,
      `    <p class="intro">${e(labels.notFoundText)}</p>`,
      `    <p class="cta-row"><a class="button button-primary" href="./">${e(labels.backHome)}</a></p>`,
      "  </div>",
      "</section>",
    ],
  });
}
