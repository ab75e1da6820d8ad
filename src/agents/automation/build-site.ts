import { z } from "zod";
import { resolveBaseUrl } from "@/sites/urls";
import { ActionRejected, defineAction } from "../framework";
import { briefSchema, designSchema, pageContentSchema, siteSchema, type PageContent } from "../schemas";
import { renderSiteFiles } from "./site-files";
import { resolveCtaHref } from "./site-links";

export const buildSiteInput = z.strictObject({
  brief: briefSchema,
  design: designSchema,
  /** In navigation order; one of them is the home page at "/". */
  pages: z.array(pageContentSchema).min(1),
  /** The absolute base of the sitemap's URLs; default PUBLIC_BASE_URL, else http://localhost:<PORT>. */
  baseUrl: z.url().optional(),
});

/** What the schemas cannot say: unique pages, a home page, links that lead somewhere. */
function inconsistencies(pages: readonly PageContent[]): string[] {
  const problems: string[] = [];
  const paths = new Set<string>();
  const keys = new Set<string>();
  for (const page of pages) {
    if (paths.has(page.path)) problems.push(`two pages have the path ${page.path}`);
    if (keys.has(page.page)) problems.push(`two pages are "${page.page}"`);
    paths.add(page.path);
    keys.add(page.page);
  }
  if (!paths.has("/")) problems.push('no page has the path "/" (the home page)');
  for (const page of pages) {
    for (const cta of page.ctas) {
      if (!resolveCtaHref(cta.href, paths)) {
        problems.push(
          `${page.path}: the call to action "${cta.label}" links to ${JSON.stringify(cta.href)}, which is neither one of the pages nor a mailto: link`,
        );
      }
    }
  }
  return problems;
}

/**
 * Generates a static site: an accessible HTML page per content page, a 404 page, one
 * stylesheet from the design, an icon, a sitemap and robots.txt. Links between pages are
 * relative and nothing is loaded from another origin, so the files work under
 * `/sites/<slug>/` and on any static host.
 */
export const buildSiteAction = defineAction({
  description:
    "Generates the static files of a site (HTML pages, CSS, 404 page, sitemap, robots.txt) from a brief, a design and page content.",
  input: buildSiteInput,
  output: siteSchema,
  timeoutMs: 10_000,
  // Adaptive timeout (src/agents/gateway/adaptive-timeout.ts): pure rendering, no effect. A cut call is retried
  // harmlessly. The floor stays at half the static value: a loaded instance is no reason to fail it.
  adaptiveTimeout: { floorMs: 5_000 },
  handler: async (input) => {
    const problems = inconsistencies(input.pages);
    if (problems.length > 0)
      throw new ActionRejected(`The pages cannot make a site: ${problems.join("; ")}.`, { problems });
    const site = { brief: input.brief, design: input.design, pages: input.pages };
    const files = renderSiteFiles(site, resolveBaseUrl(input.baseUrl));
    return { slug: input.brief.slug, files, pages: input.pages.map((p) => p.path) };
  },
});
