/**
 * generate_design: a brief → a small design system (palette with checked contrast, a modular
 * type scale on system fonts, a layout, radius and spacing). The same brief always gives the
 * same design; briefs of different families or tones give visibly different ones.
 */
import { z } from "zod";
import { defineAction } from "../framework";
import { type LAYOUTS, briefSchema, designSchema, type Brief, type Design } from "../schemas";
import { buildPalette } from "./palette";
import { hash } from "./text";
import { asFamily, type Family, type Tone } from "./vocabulary";

type Layout = (typeof LAYOUTS)[number];

// System font stacks only: no web font to download, nothing to license, instant first paint.
const FONTS = {
  sans: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  humanist: '"Gill Sans", "Gill Sans MT", Seravek, Calibri, "Trebuchet MS", sans-serif',
  rounded: 'ui-rounded, "SF Pro Rounded", "Arial Rounded MT Bold", "Trebuchet MS", system-ui, sans-serif',
  serif: 'Charter, "Bitstream Charter", Cambria, Georgia, "Times New Roman", serif',
  didone: 'Didot, "Bodoni MT", "Bodoni 72", "Book Antiqua", Palatino, Georgia, serif',
  geometric: '"Avenir Next", Avenir, "Century Gothic", "Segoe UI", system-ui, sans-serif',
} as const;

interface ToneType {
  heading: keyof typeof FONTS;
  body: keyof typeof FONTS;
  baseSizePx: number;
  /** Modular scale: minor third, major third, perfect fourth, augmented fourth, perfect fifth. */
  scaleRatio: number;
  radiusPx: number;
  spacingPx: number;
}

const TONE_TYPE: Readonly<Record<Tone, ToneType>> = {
  professional: { heading: "serif", body: "sans", baseSizePx: 16, scaleRatio: 1.2, radiusPx: 6, spacingPx: 16 },
  friendly: { heading: "humanist", body: "sans", baseSizePx: 17, scaleRatio: 1.25, radiusPx: 12, spacingPx: 20 },
  playful: { heading: "rounded", body: "rounded", baseSizePx: 18, scaleRatio: 1.333, radiusPx: 20, spacingPx: 20 },
  luxury: { heading: "didone", body: "serif", baseSizePx: 17, scaleRatio: 1.414, radiusPx: 2, spacingPx: 28 },
  bold: { heading: "geometric", body: "sans", baseSizePx: 18, scaleRatio: 1.5, radiusPx: 0, spacingPx: 12 },
};

/** Families whose readers expect a traditional voice keep a serif heading whatever the tone (except luxury's didone). */
const SERIF_FAMILIES: ReadonlySet<Family> = new Set(["legal", "finance"]);

/** The layout a family's home page suits best: a photo beside the pitch, a grid of offers, long-form text… */
const FAMILY_LAYOUT: Readonly<Record<Family, Layout>> = {
  restaurant: "split",
  legal: "editorial",
  health: "centered",
  tech: "split",
  retail: "grid",
  creative: "grid",
  construction: "split",
  education: "centered",
  beauty: "editorial",
  finance: "centered",
  services: "centered",
};

/** The tone can override the family: luxury reads as a magazine, playful as a mosaic, bold as a split hero. */
function layoutOf(family: Family, tone: Tone): Layout {
  const preferred = FAMILY_LAYOUT[family];
  if (tone === "luxury") return "editorial";
  if (tone === "playful" && preferred !== "split") return "grid";
  if (tone === "bold" && preferred === "centered") return "split";
  return preferred;
}

function rem(px: number): string {
  return `${Number((px / 16).toFixed(3))}rem`;
}

function typographyOf(family: Family, tone: Tone): Design["typography"] {
  const type = TONE_TYPE[tone];
  const heading = SERIF_FAMILIES.has(family) && tone !== "luxury" ? "serif" : type.heading;
  const base = type.baseSizePx;
  const r = type.scaleRatio;
  return {
    headingFont: FONTS[heading],
    bodyFont: FONTS[type.body],
    baseSizePx: base,
    scaleRatio: r,
    sizes: { h1: rem(base * r ** 3), h2: rem(base * r ** 2), h3: rem(base * r), body: rem(base), small: rem(base / r) },
  };
}

export function generateDesign(brief: Brief): Design {
  const family = asFamily(brief.industryFamily);
  const { palette, contrast } = buildPalette({
    family,
    tone: brief.tone,
    brandColor: brief.brandColor,
    seed: hash(brief.slug),
  });
  const type = TONE_TYPE[brief.tone];
  return {
    palette,
    contrast,
    typography: typographyOf(family, brief.tone),
    layout: layoutOf(family, brief.tone),
    radiusPx: type.radiusPx,
    spacingPx: type.spacingPx,
  };
}

export const generateDesignAction = defineAction({
  description:
    "Derives a design system from a normalised brief: palette (contrast ≥ 4.5:1), system-font type scale, layout, radius and spacing.",
  input: z.strictObject({ brief: briefSchema }),
  output: designSchema,
  timeoutMs: 5_000,
  // Adaptive timeout (src/agents/gateway/adaptive-timeout.ts): pure, no effect. A cut call is retried
  // harmlessly. The floor stays at half the static value: a loaded instance is no reason to fail it.
  adaptiveTimeout: { floorMs: 2_500 },
  // Cacheable: generateDesign is a pure function of the brief (no model, no clock, no randomness:
  // its variations are seeded from the brief's slug), so a stored answer is the answer. Bump the
  // version with any change to the palettes, the type scales or the layouts.
  cache: { ttlMs: 7 * 24 * 3_600_000, version: 1 },
  handler: async ({ brief }) => generateDesign(brief),
});
