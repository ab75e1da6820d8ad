import { z } from "zod";
import { isSelfUrl, selfCallHeaders } from "@/integrations/self-call";
import { checkOutboundUrl, fetchFollowingRedirects, outboundFetch, OutboundRefused } from "@/integrations/outbound";
import { extractLinks, isDocumentRelative } from "@/sites/html-links";
import { listSitePages } from "@/sites/store";
import { resolveBaseUrl, SITE_SLUG, sitePath } from "@/sites/urls";
import { readLimitedText } from "@/util/read-limited";
import { ActionRejected, defineAction } from "../framework";
import { verificationFailed } from "./verification-failure";

export const verifyDeploymentInput = z.strictObject({
  slug: z.string().regex(SITE_SLUG),
  /** Where the site is served; default PUBLIC_BASE_URL, else http://localhost:<PORT>. */
  baseUrl: z.url().optional(),
  /** Fail the action (422, the report as details) when the site is not ok, instead of reporting it: a release gate. */
  failOnProblems: z.boolean().default(false),
});

export const verificationSchema = z.strictObject({
  ok: z.boolean(),
  pages: z.array(
    z.strictObject({
      path: z.string(),
      url: z.string(),
      status: z.number().int(),
      contentType: z.string().nullable(),
      ok: z.boolean(),
    }),
  ),
  /** Each internal link whose target did not answer 2xx, once per page that has it. */
  brokenLinks: z.array(z.strictObject({ from: z.string(), href: z.string(), status: z.number().int() })),
  checkedAt: z.iso.datetime(),
});
export type Verification = z.infer<typeof verificationSchema>;

const REQUEST_TIMEOUT_MS = 10_000;
const PARALLEL_REQUESTS = 6;
const MAX_PAGE_BYTES = 2 * 1024 * 1024;
const HEADERS = { "User-Agent": "agent-orchestrator-site-check/1" };
const MAX_REDIRECTS = 5;

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of the results. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function isHtml(contentType: string | null): boolean {
  return /^text\/html\b/i.test(contentType ?? "");
}

interface Fetched {
  status: number;
  contentType: string | null;
  html: string | null;
}

/**
 * One request, never following a redirect. To our own origin it is a self-call (src/integrations/self-call.ts:
 * the protection bypass header, outside the outbound policy); anywhere else (a `baseUrl` that is
 * not ours, a redirect hop that leaves our origin) it is a third-party call under the outbound
 * policy (src/integrations/outbound), without the bypass header. A refused address throws
 * OutboundRefused, which the callers count like a network error (status 0).
 */
async function siteFetch(
  url: string,
  method: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<Response> {
  if (isSelfUrl(url)) return fetch(url, { method, headers: selfCallHeaders(headers, url), redirect: "manual", signal });
  return outboundFetch(url, { method, headers, signal });
}

/** GETs a page without following redirects (a page must answer itself); network errors → status 0. */
async function fetchPage(url: URL, signal: AbortSignal): Promise<Fetched> {
  try {
    const res = await siteFetch(
      url.href,
      "GET",
      { ...HEADERS, Accept: "text/html" },
      AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
    );
    const contentType = res.headers.get("content-type");
    if (res.status !== 200 || !isHtml(contentType)) {
      await res.body?.cancel();
      return { status: res.status, contentType, html: null };
    }
    return { status: res.status, contentType, html: await readLimitedText(res, MAX_PAGE_BYTES) };
  } catch {
    return { status: 0, contentType: null, html: null };
  }
}

/**
 * fetch() following redirects by hand, each hop checked on its own: the protection bypass header
 * goes only to hops on our own origin (fetch's own redirect mode would forward it anywhere), and
 * every other hop is under the outbound policy, so a redirect to a private address is refused.
 * At most MAX_REDIRECTS hops.
 */
async function fetchFollowing(url: string, method: string, signal: AbortSignal): Promise<Response> {
  return fetchFollowingRedirects(url, (hop) => siteFetch(hop, method, HEADERS, signal), MAX_REDIRECTS);
}

/** The status of a link's target: HEAD (GET when HEAD is refused), redirects followed; network errors → 0. */
async function probe(url: string, signal: AbortSignal): Promise<number> {
  try {
    for (const method of ["HEAD", "GET"]) {
      const res = await fetchFollowing(url, method, AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]));
      await res.body?.cancel();
      if (method === "GET" || (res.status !== 405 && res.status !== 501)) return res.status;
    }
    return 0;
  } catch {
    return 0;
  }
}

/** The target of an internal link (relative, or under the site's own path), without its fragment; else null. */
function internalTarget(href: string, page: URL, root: URL): string | null {
  if (href === "" || href.startsWith("#")) return null;
  let target: URL;
  try {
    target = new URL(href, page);
  } catch {
    return null;
  }
  if (target.origin !== root.origin) return null;
  if (!isDocumentRelative(href) && !target.pathname.startsWith(root.pathname)) return null;
  target.hash = "";
  return target.href;
}

/**
 * Checks a published site over HTTP, the way a visitor reaches it: every page of the current
 * deployment must answer 200 with HTML, and every internal link or resource of those pages
 * (each distinct target fetched once) must answer 2xx. Failures are reported, not thrown
 * (unless `failOnProblems`: then they refuse, naming each problem); an unknown slug is refused.
 */
export const verifyDeploymentAction = defineAction({
  description:
    "Fetches every page of a published site and every internal link of those pages, and reports what does not answer.",
  input: verifyDeploymentInput,
  output: verificationSchema,
  // Within the tick route's budget (50 s): a longer timeout could never be claimed on Vercel.
  timeoutMs: 30_000,
  handler: async ({ slug, baseUrl, failOnProblems }, ctx) => {
    const pagePaths = await listSitePages(ctx.db, slug);
    if (pagePaths === null) throw new ActionRejected(`No site is published with the slug "${slug}".`, { slug });
    const root = new URL(`${resolveBaseUrl(baseUrl)}${sitePath(slug)}`);
    if (!isSelfUrl(root)) {
      // A base URL that is not our own origin is someone else's server: refused as a whole when the policy refuses it.
      try {
        checkOutboundUrl(root);
      } catch (error) {
        if (error instanceof OutboundRefused)
          throw new ActionRejected(`baseUrl: ${error.message}`, { baseUrl: root.origin });
        throw error;
      }
    }
    const pageUrls = pagePaths.map((p) => new URL(p.slice(1), root));
    const fetched = await mapLimited(pageUrls, PARALLEL_REQUESTS, (url) => fetchPage(url, ctx.signal));
    const pages = pagePaths.map((path, i) => {
      const { status, contentType } = fetched[i]!;
      return { path, url: pageUrls[i]!.href, status, contentType, ok: status === 200 && isHtml(contentType) };
    });

    const links: { from: string; href: string; target: string }[] = [];
    fetched.forEach((page, i) => {
      const seen = new Set<string>();
      for (const href of extractLinks(page.html ?? "")) {
        const target = internalTarget(href, pageUrls[i]!, root);
        if (target === null || seen.has(href)) continue;
        seen.add(href);
        links.push({ from: pagePaths[i]!, href, target });
      }
    });
    const targets = [...new Set(links.map((l) => l.target))];
    const statuses = new Map(targets.map((t, i) => [t, i]));
    const probed = await mapLimited(targets, PARALLEL_REQUESTS, (t) => probe(t, ctx.signal));
    const brokenLinks = links
      .map((l) => ({ from: l.from, href: l.href, status: probed[statuses.get(l.target)!]! }))
      .filter((l) => l.status < 200 || l.status > 299);

    const report = {
      ok: pages.length > 0 && pages.every((p) => p.ok) && brokenLinks.length === 0,
      pages,
      brokenLinks,
      checkedAt: new Date().toISOString(),
    };
    if (failOnProblems && !report.ok) throw verificationFailed(report);
    return report;
  },
});
