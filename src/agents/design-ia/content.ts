/**
 * generate_content: the copy of one page, in the brief's language, from the templates in
 * copy/. Every page opens with an intro naming the business and its industry; the sections
 * follow the page's purpose; calls to action lead to the contact page or the contact address.
 * Lengths are fitted to pageContentSchema word-wise, so a 120-character name still gives a
 * title of at most 60 characters and a meta description of 50 to 160.
 *
 * With a language model configured (ANTHROPIC_API_KEY or OPENAI_API_KEY), the model writes the
 * text and these templates are the fallback (see llm-content.ts).
 */
import { z } from "zod";
import { modelTimeoutFor } from "@/integrations/llm";
import { defineAction } from "../framework";
import {
  PAGE_KEYS,
  briefSchema,
  designSchema,
  pageContentSchema,
  type Brief,
  type Design,
  type PageContent,
  type PageKey,
} from "../schemas";
import { COPY, type Copy, type HoursKind, type Item } from "./copy";
import { generateDesign } from "./design";
import { writePageContent } from "./llm-content";
import { bare, capitalize, fill, fit, hash, pick, sentence } from "./text";
import { asFamily, type Family } from "./vocabulary";

type Section = PageContent["sections"][number];
type Cta = PageContent["ctas"][number];

const TITLE_MAX = 60;
const SHORT_NAME_MAX = 40;
/** Below this many characters a name cut to sit beside a label says too little: the title is the name alone. */
const TITLE_NAME_MIN = 20;

interface PageContext {
  brief: Brief;
  copy: Copy;
  family: Family;
  layout: Design["layout"];
  seed: number;
  /** Fills a template with the brief's values. */
  t: (template: string) => string;
}

/** French "at": many French restaurants are called "Chez …", and "chez Chez Marcel" reads as a typo. */
function chez(name: string): string {
  return /^chez\s/iu.test(name) ? `à ${name}` : `chez ${name}`;
}

function contextOf(brief: Brief, page: PageKey, design: Design | undefined): PageContext {
  const copy = COPY[brief.language];
  const family = asFamily(brief.industryFamily);
  const domain = copy.domains[family];
  const shortName = fit(brief.businessName, SHORT_NAME_MAX);
  const vars = {
    name: brief.businessName,
    shortName,
    chezName: chez(brief.businessName),
    chezShortName: chez(shortName),
    industry: brief.industry,
    domain,
    Domain: capitalize(domain),
    audience: bare(brief.audience),
    tagline: sentence(brief.tagline),
    voice: copy.voices[brief.tone],
    email: brief.contactEmail ?? "",
  };
  return {
    brief,
    copy,
    family,
    layout: (design ?? generateDesign(brief)).layout,
    seed: hash(`${brief.slug}/${page}`),
    t: (template) => fill(template, vars),
  };
}

/** "Chez Marco | Food and hospitality", "About | Chez Marco": the name is shortened first, the label kept. */
function composeTitle(name: string, label: string, nameFirst: boolean): string {
  const join = (n: string) => (nameFirst ? `${n} | ${label}` : `${label} | ${n}`);
  if (join(name).length <= TITLE_MAX) return join(name);
  const room = TITLE_MAX - label.length - 3;
  return room >= TITLE_NAME_MIN ? join(fit(name, room)) : fit(name, TITLE_MAX);
}

function item(ctx: PageContext, { title, text }: Item): Item {
  return { title: ctx.t(title), text: ctx.t(text) };
}

function offerItems({ copy, family }: PageContext): Item[] {
  return copy.offers[family].map((title, i) => ({ title, text: copy.offerTexts[i] ?? copy.offerTexts[0] }));
}

const HOURS_KIND: Readonly<Record<Family, HoursKind>> = {
  restaurant: "restaurant",
  retail: "shop",
  beauty: "shop",
  health: "practice",
  legal: "office",
  tech: "office",
  creative: "office",
  construction: "office",
  education: "office",
  finance: "office",
  services: "office",
};

/**
 * Where a call to action leads: the contact page when the site has one, else the contact
 * address, else the first other page of the site (a link must never point to a missing page).
 */
function ctasOf(ctx: PageContext, page: PageKey): Cta[] {
  const { brief, copy } = ctx;
  const email = brief.contactEmail ? { label: copy.emailCta, href: `mailto:${brief.contactEmail}` } : null;
  const main = { label: copy.ctas[brief.tone], href: "/contact/" };
  if (page === "contact") return [email ?? main];
  if (brief.pages.includes("contact")) return email ? [main, email] : [main];
  if (email) return [email];
  const other = brief.pages.find((key) => key !== page && key !== "home");
  return [other ? { label: copy.nav[other], href: `/${other}/` } : { label: copy.homeCta, href: "/" }];
}

interface PageBody {
  meta: string;
  h1: string;
  intro: string;
  sections: Section[];
}

function homeBody(ctx: PageContext): PageBody {
  const { t, seed } = ctx;
  const home = ctx.copy.pages.home;
  return {
    meta: t(home.meta),
    h1: ctx.brief.businessName,
    intro: t(home.intro),
    sections: [
      { heading: t(pick(home.welcomeHeading, seed)), paragraphs: [t(home.welcomeText)] },
      { heading: t(home.offersHeading), paragraphs: [t(home.offersText)], items: offerItems(ctx) },
      { heading: t(home.whyHeading), paragraphs: [t(home.whyText)], items: home.whyItems.map((i) => item(ctx, i)) },
      { heading: t(pick(home.ctaHeading, seed >>> 4)), paragraphs: [t(home.ctaText)] },
    ],
  };
}

function aboutBody(ctx: PageContext): PageBody {
  const { t } = ctx;
  const about = ctx.copy.pages.about;
  // A long-form (editorial) layout has the room for the story's third paragraph.
  const story = ctx.layout === "editorial" ? about.story : about.story.slice(0, 2);
  return {
    meta: t(about.meta),
    h1: t(about.h1),
    intro: t(about.intro),
    sections: [
      { heading: t(about.storyHeading), paragraphs: story.map(t) },
      { heading: t(about.valuesHeading), paragraphs: [t("{voice}")], items: about.values.map((i) => item(ctx, i)) },
      { heading: t(about.joinHeading), paragraphs: [t(about.joinText)] },
    ],
  };
}

function servicesBody(ctx: PageContext): PageBody {
  const { t } = ctx;
  const services = ctx.copy.pages.services;
  return {
    meta: t(services.meta),
    h1: t(services.h1),
    intro: t(services.intro),
    sections: [
      { heading: t(services.listHeading), paragraphs: [t(services.listText)], items: offerItems(ctx) },
      {
        heading: t(services.processHeading),
        paragraphs: [t("{voice}")],
        items: services.process.map((i) => item(ctx, i)),
      },
      { heading: t(services.ctaHeading), paragraphs: [t(services.ctaText)] },
    ],
  };
}

function contactBody(ctx: PageContext): PageBody {
  const { t, copy } = ctx;
  const contact = copy.pages.contact;
  const reach = ctx.brief.contactEmail ? contact.reachByEmail : contact.reachOtherwise;
  return {
    meta: t(contact.meta),
    h1: t(contact.h1),
    intro: t(contact.intro),
    sections: [
      { heading: t(contact.reachHeading), paragraphs: [t(reach)] },
      { heading: t(contact.hoursHeading), paragraphs: [...copy.hours[HOURS_KIND[ctx.family]], t(contact.hoursNote)] },
      { heading: t(contact.nextHeading), paragraphs: [t(contact.nextText)] },
    ],
  };
}

function faqBody(ctx: PageContext): PageBody {
  const { t } = ctx;
  const faq = ctx.copy.pages.faq;
  const contactAnswer = ctx.brief.contactEmail ? faq.contactAnswerByEmail : faq.contactAnswerOtherwise;
  return {
    meta: t(faq.meta),
    h1: t(faq.h1),
    intro: t(faq.intro),
    sections: [
      {
        heading: t(faq.heading),
        paragraphs: [t(faq.lead)],
        items: [
          item(ctx, { title: faq.contactQuestion, text: contactAnswer }),
          ...faq.questions.map((i) => item(ctx, i)),
        ],
      },
      { heading: t(faq.moreHeading), paragraphs: [t(faq.moreText)] },
    ],
  };
}

const BODIES: Readonly<Record<PageKey, (ctx: PageContext) => PageBody>> = {
  home: homeBody,
  about: aboutBody,
  services: servicesBody,
  contact: contactBody,
  faq: faqBody,
};

/** Every text cut to its schema limit: a guard, since the templates are written to fit. */
function fitSection({ heading, paragraphs, items }: Section): Section {
  return {
    heading: fit(heading, 90),
    paragraphs: paragraphs.map((p) => fit(p, 900)),
    ...(items && { items: items.map((i) => ({ title: fit(i.title, 90), text: fit(i.text, 400) })) }),
  };
}

export function generateContent(brief: Brief, page: PageKey, design?: Design): PageContent {
  const ctx = contextOf(brief, page, design);
  const body = BODIES[page](ctx);
  const navLabel = ctx.copy.nav[page];
  const title =
    page === "home"
      ? composeTitle(brief.businessName, ctx.t(ctx.copy.pages.home.titleLead), true)
      : composeTitle(brief.businessName, navLabel, false);
  return {
    page,
    path: page === "home" ? "/" : `/${page}/`,
    language: brief.language,
    navLabel,
    title,
    metaDescription: fit(body.meta, 160),
    h1: fit(body.h1, 90),
    intro: fit(body.intro, 600),
    sections: body.sections.map(fitSection),
    ctas: ctasOf(ctx, page),
  };
}

// Room for a language model to write the copy (see src/integrations/llm.ts); the templates need milliseconds.
const TIMEOUT_MS = 30_000;

export const generateContentAction = defineAction({
  description:
    "Writes the copy of one page (title, meta description, h1, intro, sections, calls to action) in the brief's language.",
  input: z.strictObject({ brief: briefSchema, page: z.enum(PAGE_KEYS), design: designSchema.optional() }),
  output: pageContentSchema,
  timeoutMs: TIMEOUT_MS,
  handler: async ({ brief, page, design }, ctx) =>
    await writePageContent({
      brief,
      page,
      base: generateContent(brief, page, design),
      signal: ctx.signal,
      timeoutMs: modelTimeoutFor(TIMEOUT_MS),
    }),
});
