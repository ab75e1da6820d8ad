/**
 * The shape of one language's copy. Templates are plain strings with `{placeholders}`, filled by
 * content.ts (see `fill` in ../text.ts). The placeholders a template may use:
 *
 * - `{name}`: the business name as given (up to 120 characters): only in `intro`, which has the room;
 * - `{shortName}`: the name cut to 40 characters, for titles, headings, meta and items;
 * - `{industry}`: the client's own words for the industry (up to 120): only in `intro`;
 * - `{domain}` / `{Domain}`: the family's field from `domains`, as is / with a capital;
 * - `{audience}`: who the business serves (up to 300): paragraphs and item texts only;
 * - `{tagline}`: the tagline as a sentence (up to 160): only in `intro`;
 * - `{voice}`: the tone's sentence from `voices`;
 * - `{email}`: the contact address, only in the templates that say so;
 * - `{chezName}` / `{chezShortName}` (French): "chez Marcel", or "à Chez Marcel" when the name already says "chez".
 *
 * Budgets: an intro's fixed text stays under 180 characters, a meta's between 50 and 110.
 */
import type { PageKey } from "../../schemas";
import type { Family, Tone } from "../vocabulary";

/** Alternatives, one chosen per brief (seeded by its slug). */
export type Variants = readonly [string, ...string[]];
export interface Item {
  title: string;
  text: string;
}
export type Three<T> = readonly [T, T, T];

/** Which opening hours a family gets (a guide for the client to correct). */
export type HoursKind = "restaurant" | "shop" | "practice" | "office";

export interface Copy {
  nav: Readonly<Record<PageKey, string>>;
  /** The family's field, in a form that fits the language's constructions (en "in {domain}", fr "en {domain}"). */
  domains: Readonly<Record<Family, string>>;
  /** Who a business of the family usually serves, when the brief does not say. */
  audiences: Readonly<Record<Family, string>>;
  /** Three typical services of the family. */
  offers: Readonly<Record<Family, Three<string>>>;
  /** A description for each of the three offers, in order (true of any service). */
  offerTexts: Three<string>;
  /** Default taglines, from the family's `{domain}` and the tone. */
  taglines: Readonly<Record<Tone, string>>;
  /** How the business works, one sentence in the tone. */
  voices: Readonly<Record<Tone, string>>;
  /** The main call to action's label, in the tone (at most 40 characters). */
  ctas: Readonly<Record<Tone, string>>;
  emailCta: string;
  /** Label of a call to action that can only lead back home (no contact page, no email). */
  homeCta: string;
  hours: Readonly<Record<HoursKind, readonly string[]>>;
  pages: {
    home: {
      /** Follows the business name in the title: "Chez Marco | {Domain}". */
      titleLead: string;
      meta: string;
      intro: string;
      welcomeHeading: Variants;
      welcomeText: string;
      offersHeading: string;
      offersText: string;
      whyHeading: string;
      whyText: string;
      whyItems: Three<Item>;
      ctaHeading: Variants;
      ctaText: string;
    };
    about: {
      meta: string;
      h1: string;
      intro: string;
      storyHeading: string;
      /** The third paragraph is used by the editorial layout only. */
      story: Three<string>;
      valuesHeading: string;
      values: Three<Item>;
      joinHeading: string;
      joinText: string;
    };
    services: {
      meta: string;
      h1: string;
      intro: string;
      listHeading: string;
      listText: string;
      processHeading: string;
      process: Three<Item>;
      ctaHeading: string;
      ctaText: string;
    };
    contact: {
      meta: string;
      h1: string;
      intro: string;
      reachHeading: string;
      /** Uses `{email}`. */
      reachByEmail: string;
      reachOtherwise: string;
      hoursHeading: string;
      hoursNote: string;
      nextHeading: string;
      nextText: string;
    };
    faq: {
      meta: string;
      h1: string;
      intro: string;
      heading: string;
      lead: string;
      contactQuestion: string;
      /** Uses `{email}`. */
      contactAnswerByEmail: string;
      contactAnswerOtherwise: string;
      questions: readonly [Item, Item, Item, Item];
      moreHeading: string;
      moreText: string;
    };
  };
}
