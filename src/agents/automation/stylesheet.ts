/**
 * The site's one stylesheet: the design's palette, type scale and spacing as custom
 * properties, mobile-first rules with one breakpoint for wider screens, the four layout
 * variants, visible focus, and no motion for people who ask for none.
 *
 * Colours are used only in the pairs whose contrast the design guarantees (text and muted text
 * on the background, text on the surface, on-primary on primary); the others are decoration.
 * Font names come from the design but only local fonts are named: no web font is loaded, and
 * anything that is not a plain family name (quotes, `url(`, `;`) is dropped.
 */
import type { Design } from "../schemas";

const GENERIC_FAMILIES = new Set([
  "serif",
  "sans-serif",
  "monospace",
  "cursive",
  "fantasy",
  "system-ui",
  "ui-serif",
  "ui-sans-serif",
  "ui-monospace",
  "ui-rounded",
]);
const FAMILY_NAME = /^-?[A-Za-z0-9][A-Za-z0-9 -]{0,60}$/;
const LENGTH = /^\d{1,3}(?:\.\d{1,4})?(?:rem|em|px)$/;
const LENGTH_EXPRESSION = /^(?:clamp|min|max|calc)\((?:[\d.+\-*/, ()%]|rem|em|px|vw|vh|vmin|vmax)+\)$/;

/** A safe CSS font stack from a design's font list, ending in a generic family. */
export function fontStack(value: string): string {
  const names = value
    .split(",")
    .map((n) =>
      n
        .trim()
        .replace(/^(["'])(.*)\1$/, "$2")
        .trim(),
    )
    .filter((n) => FAMILY_NAME.test(n));
  const stack = [...new Set(names.map((n) => (GENERIC_FAMILIES.has(n.toLowerCase()) ? n.toLowerCase() : `"${n}"`)))];
  if (!stack.some((n) => GENERIC_FAMILIES.has(n)))
    stack.push(/\bserif\b/i.test(value) && !/sans/i.test(value) ? "serif" : "sans-serif");
  return stack.join(", ");
}

/** A design size if it is a plain length or a numeric clamp()/calc(), else the fallback. */
export function cssLength(value: string, fallback: string): string {
  const v = value.trim();
  return LENGTH.test(v) || LENGTH_EXPRESSION.test(v) ? v : fallback;
}

function rem(value: number): string {
  return `${Math.round(value * 1000) / 1000}rem`;
}

function customProperties(design: Design): string {
  const { palette: c, typography: t } = design;
  const step = (n: number) => rem(t.scaleRatio ** n);
  return `:root {
  --color-primary: ${c.primary};
  --color-on-primary: ${c.onPrimary};
  --color-secondary: ${c.secondary};
  --color-accent: ${c.accent};
  --color-background: ${c.background};
  --color-surface: ${c.surface};
  --color-text: ${c.text};
  --color-muted: ${c.mutedText};
  --font-heading: ${fontStack(t.headingFont)};
  --font-body: ${fontStack(t.bodyFont)};
  --size-h1: ${cssLength(t.sizes.h1, step(4))};
  --size-h2: ${cssLength(t.sizes.h2, step(3))};
  --size-h3: ${cssLength(t.sizes.h3, step(2))};
  --size-body: ${cssLength(t.sizes.body, "1rem")};
  --size-small: ${cssLength(t.sizes.small, step(-1))};
  --radius: ${design.radiusPx}px;
  --space: ${rem(design.spacingPx / 16)};
  --measure: 68ch;
  --page-width: 72rem;
}`;
}

const BASE = `*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; scroll-behavior: smooth; }
body { margin: 0; background: var(--color-background); color: var(--color-text); font-family: var(--font-body); font-size: var(--size-body); line-height: 1.6; }
svg { display: block; max-width: 100%; height: auto; }
h1, h2, h3 { font-family: var(--font-heading); line-height: 1.2; margin: 0 0 calc(var(--space) * 0.75); overflow-wrap: break-word; }
h1 { font-size: var(--size-h1); }
h2 { font-size: var(--size-h2); }
h3 { font-size: var(--size-h3); }
p { margin: 0 0 var(--space); max-width: var(--measure); }
small, .footer-copy { font-size: var(--size-small); }
a { color: var(--color-text); text-decoration-color: var(--color-primary); text-decoration-thickness: 0.1em; text-underline-offset: 0.2em; transition: text-decoration-thickness 0.15s ease, background-color 0.15s ease, color 0.15s ease; }
a:hover { text-decoration-thickness: 0.2em; }
:focus-visible { outline: 3px solid var(--color-text); outline-offset: 3px; }
.skip-link { position: absolute; left: var(--space); top: -100vh; z-index: 10; padding: 0.75em 1em; background: var(--color-background); color: var(--color-text); border-radius: var(--radius); }
.skip-link:focus { top: var(--space); }
.container { width: min(100% - 2 * var(--space), var(--page-width)); margin-inline: auto; }

.site-header { background: var(--color-surface); border-bottom: 4px solid var(--color-primary); }
.header-inner { display: flex; flex-direction: column; gap: calc(var(--space) * 0.5); padding-block: var(--space); }
.brand { display: inline-flex; align-items: center; gap: 0.6em; font-family: var(--font-heading); font-size: 1.25em; font-weight: 700; text-decoration: none; }
.brand-mark { flex: none; width: 2rem; height: 2rem; }
.mark-bg { fill: var(--color-primary); }
.mark-dot { fill: var(--color-on-primary); }
.nav-list { display: flex; flex-wrap: wrap; gap: 0 var(--space); margin: 0; padding: 0; list-style: none; }
.nav-list a { display: inline-block; padding-block: 0.5em; text-decoration: none; }
.nav-list a:hover, .nav-list a[aria-current="page"] { text-decoration: underline; text-decoration-color: var(--color-primary); text-decoration-thickness: 0.2em; }
.nav-list a[aria-current="page"] { font-weight: 700; }

.hero { padding-block: calc(var(--space) * 3); }
.hero-inner { display: grid; gap: calc(var(--space) * 2); align-items: center; }
.tagline { color: var(--color-muted); font-size: 1.125em; }
.intro { font-size: 1.125em; }
.cta-row { display: flex; flex-wrap: wrap; gap: calc(var(--space) * 0.75); margin-top: calc(var(--space) * 1.5); }
.button { display: inline-block; padding: 0.75em 1.25em; border: 2px solid var(--color-primary); border-radius: var(--radius); font-weight: 600; line-height: 1.2; text-decoration: none; }
.button-primary { background: var(--color-primary); color: var(--color-on-primary); }
.button-secondary { background: transparent; color: var(--color-text); }
.button:hover { text-decoration: underline; text-decoration-color: currentColor; }
.hero-art { display: none; width: 100%; max-width: 26rem; justify-self: center; }
.art-surface { fill: var(--color-surface); }
.art-primary { fill: var(--color-primary); }
.art-secondary { fill: var(--color-secondary); }
.art-accent { fill: var(--color-accent); }

.section { padding-block: calc(var(--space) * 2.5); }
.section-alt { background: var(--color-surface); }
.cards { display: grid; gap: var(--space); margin: calc(var(--space) * 1.5) 0 0; padding: 0; list-style: none; }
.card { padding: calc(var(--space) * 1.25); background: var(--color-surface); border-top: 4px solid var(--color-accent); border-radius: var(--radius); }
.section-alt .card { background: var(--color-background); }
.card p { margin-bottom: 0; }

.site-footer { margin-top: calc(var(--space) * 2); padding-block: calc(var(--space) * 2); background: var(--color-surface); border-top: 4px solid var(--color-primary); }
.footer-inner p { margin-bottom: calc(var(--space) * 0.5); }
.footer-brand { font-weight: 600; }`;

const LAYOUTS = `.layout-centered .hero { text-align: center; }
.layout-centered .hero p { margin-inline: auto; }
.layout-centered .cta-row { justify-content: center; }
.layout-centered .section .container { max-width: 48rem; }

.layout-editorial { --page-width: 46rem; }
.layout-editorial h1 { letter-spacing: -0.01em; }
.layout-editorial .intro { padding-left: var(--space); border-left: 4px solid var(--color-accent); font-size: 1.25em; }
.layout-editorial .section + .section { border-top: 1px solid var(--color-muted); }
.layout-editorial .section-alt { background: transparent; }
.layout-editorial .section-alt .card { background: var(--color-surface); }

.layout-grid .section .container { max-width: var(--page-width); }
.layout-grid .card { border-top-width: 0; border-left: 4px solid var(--color-accent); }

.tone-luxury h1, .tone-luxury h2 { font-weight: 400; letter-spacing: 0.04em; }
.tone-bold h1, .tone-bold h2 { font-weight: 800; letter-spacing: -0.02em; }
.tone-playful .button { border-radius: 999px; }
.tone-professional .button { letter-spacing: 0.01em; }`;

const WIDE = `@media (min-width: 48em) {
  .header-inner { flex-direction: row; align-items: center; justify-content: space-between; }
  .hero { padding-block: calc(var(--space) * 5); }
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .layout-split .hero-inner { grid-template-columns: 3fr 2fr; }
  .layout-split .hero-art { display: block; }
  .layout-grid .cards { grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); }
  .layout-editorial .cards { grid-template-columns: minmax(0, 1fr); }
}

@media (min-width: 64em) {
  .layout-grid .cards { grid-template-columns: repeat(3, minmax(0, 1fr)); }
}`;

const MOTION = `@media (prefers-reduced-motion: reduce) {
  html { scroll-behavior: auto; }
  *, *::before, *::after { animation-duration: 0.01ms !important; animation-iteration-count: 1 !important; transition-duration: 0.01ms !important; scroll-behavior: auto !important; }
}

@media (forced-colors: active) {
  .button { border-color: ButtonText; }
  :focus-visible { outline-color: Highlight; }
}`;

export function renderStylesheet(design: Design): string {
  const base = `html { font-size: ${Math.round((design.typography.baseSizePx / 16) * 100000) / 1000}%; }`;
  return [customProperties(design), base, BASE, LAYOUTS, WIDE, MOTION, ""].join("\n\n");
}
