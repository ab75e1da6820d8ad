/**
 * A site palette from the brief: the hue comes from the industry family (or the brand colour),
 * saturation, lightness and the light/dark theme from the tone. Every pair the site sets text
 * in is then pushed to at least 4.5:1 (WCAG AA for body text) with `ensureContrast`.
 */
import { contrastRatio, ensureContrast, parseHex, toHex } from "../lib/color";
import type { Design } from "../schemas";
import type { Family, Tone } from "./vocabulary";

export const MIN_CONTRAST = 4.5;
/** What we aim for, so a ratio rounded down to two decimals never reads below 4.5. */
const TARGET_CONTRAST = 4.55;

/** Base hue per family, at least 15° apart so two families never share a primary. */
const FAMILY_HUE: Readonly<Record<Family, number>> = {
  restaurant: 8,
  construction: 32,
  finance: 145,
  health: 172,
  education: 198,
  legal: 222,
  services: 240,
  tech: 258,
  creative: 282,
  retail: 310,
  beauty: 335,
};

interface ToneStyle {
  saturation: number;
  lightness: number;
  dark: boolean;
  /** Hue offsets of the secondary and accent colours from the primary. */
  secondaryShift: number;
  accentShift: number;
  /** A fixed accent hue (luxury's gold), instead of a shift. */
  accentHue?: number;
}

const TONE_STYLE: Readonly<Record<Tone, ToneStyle>> = {
  professional: { saturation: 48, lightness: 36, dark: false, secondaryShift: 20, accentShift: 180 },
  friendly: { saturation: 62, lightness: 46, dark: false, secondaryShift: 35, accentShift: 150 },
  playful: { saturation: 78, lightness: 52, dark: false, secondaryShift: 120, accentShift: 240 },
  luxury: { saturation: 34, lightness: 40, dark: true, secondaryShift: 15, accentShift: 0, accentHue: 43 },
  bold: { saturation: 88, lightness: 44, dark: false, secondaryShift: 180, accentShift: 60 },
};

export function hsl(hue: number, saturation: number, lightness: number): string {
  const h = (((hue % 360) + 360) % 360) / 360;
  const s = saturation / 100;
  const l = lightness / 100;
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  const channel = (t: number) => {
    const u = t < 0 ? t + 1 : t > 1 ? t - 1 : t;
    const v = u < 1 / 6 ? p + (q - p) * 6 * u : u < 1 / 2 ? q : u < 2 / 3 ? p + (q - p) * (2 / 3 - u) * 6 : p;
    return v * 255;
  };
  return toHex([channel(h + 1 / 3), channel(h), channel(h - 1 / 3)]);
}

/** The hue of a colour in degrees (0 for greys). */
export function hueOf(hex: string): number {
  const [r, g, b] = parseHex(hex).map((v) => v / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  if (d === 0) return 0;
  const sector = max === r ? ((g - b) / d + 6) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return Math.round(sector * 60);
}

/** `fg` made readable on every one of `backgrounds`; falls back to black or white, whichever reads best. */
function readableOn(fg: string, backgrounds: readonly string[]): string {
  let color = fg;
  for (let round = 0; round < 3; round++) {
    for (const bg of backgrounds) color = ensureContrast(color, bg, TARGET_CONTRAST);
    if (backgrounds.every((bg) => contrastRatio(color, bg) >= TARGET_CONTRAST)) return color;
  }
  const worst = (c: string) => Math.min(...backgrounds.map((bg) => contrastRatio(c, bg)));
  return worst("#000000") >= worst("#ffffff") ? "#000000" : "#ffffff";
}

/** Rounded down, so the recorded ratio never overstates the real one. */
function floor2(ratio: number): number {
  return Math.floor(ratio * 100) / 100;
}

export interface PaletteParams {
  family: Family;
  tone: Tone;
  brandColor: string | null;
  /** From the brief's slug: nudges the hue a few degrees, so two restaurants do not look identical. */
  seed: number;
}

export function buildPalette({ family, tone, brandColor, seed }: PaletteParams): Pick<Design, "palette" | "contrast"> {
  const style = TONE_STYLE[tone];
  const hue = FAMILY_HUE[family] + (seed % 9) - 4;
  const primary = brandColor ?? hsl(hue, style.saturation, style.lightness);
  // Neutrals are tinted with the primary's own hue, so a brand colour carries through the page.
  const tint = brandColor ? hueOf(brandColor) : hue;

  const background = style.dark ? hsl(tint, 22, 8) : tone === "bold" ? "#ffffff" : hsl(tint, 30, 98);
  const surface = style.dark ? hsl(tint, 18, 14) : hsl(tint, 24, 94);
  const text = readableOn(style.dark ? hsl(tint, 15, 92) : hsl(tint, 25, 12), [background, surface]);
  const mutedText = readableOn(style.dark ? hsl(tint, 10, 70) : hsl(tint, 12, 38), [background, surface]);
  const lightOnPrimary = contrastRatio("#ffffff", primary) >= contrastRatio("#000000", primary);
  const onPrimary = readableOn(lightOnPrimary ? hsl(tint, 40, 98) : hsl(tint, 40, 10), [primary]);

  const secondary = hsl(hue + style.secondaryShift, style.saturation * 0.8, style.dark ? 62 : 40);
  const accent = hsl(
    style.accentHue ?? hue + style.accentShift,
    Math.min(90, style.saturation + 15),
    style.dark ? 60 : 50,
  );

  return {
    palette: { primary, onPrimary, secondary, accent, background, surface, text, mutedText },
    contrast: {
      textOnBackground: floor2(contrastRatio(text, background)),
      mutedTextOnBackground: floor2(contrastRatio(mutedText, background)),
      textOnSurface: floor2(contrastRatio(text, surface)),
      onPrimaryOnPrimary: floor2(contrastRatio(onPrimary, primary)),
    },
  };
}
