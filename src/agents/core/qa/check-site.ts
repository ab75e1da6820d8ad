/**
 * Checks a generated site from its files alone (nothing is fetched): HTML validity,
 * accessibility basics, page weight, internal links and external requests.
 */
import type { Site, SiteFile } from "../../schemas";
import { checkAccessibility } from "./accessibility";
import { validatePage, type AccessibilityIssue, type HtmlError } from "./html";
import { cssReferences, fragmentTargets, htmlReferences, type Reference } from "./references";
import { PAGE_WEIGHT_LIMIT_BYTES, scoreReport, type QaReport } from "./report";
import { resolveReference, sitePath, siteUrl } from "./site-urls";

interface ReadPage {
  file: SiteFile;
  htmlErrors: HtmlError[];
  accessibility: AccessibilityIssue[];
  references: Reference[];
  /** Ids its fragments may point to; null when the page could not be parsed. */
  ids: Set<string> | null;
}

const isHtml = (path: string): boolean => /\.html?$/.test(path);
const isCss = (path: string): boolean => path.endsWith(".css");
const byteLength = (text: string): number => Buffer.byteLength(text, "utf8");

async function readPage(file: SiteFile): Promise<ReadPage> {
  const { htmlErrors, accessibility, document } = await validatePage(file.content, file.path);
  return {
    file,
    htmlErrors,
    accessibility: [...accessibility, ...(document ? checkAccessibility(document) : [])],
    references: htmlReferences(document, file.content),
    ids: document ? fragmentTargets(document) : null,
  };
}

/** Collects findings, each reported once per file it comes from. */
class Findings {
  readonly brokenLinks: QaReport["brokenLinks"] = [];
  readonly externalRequests: QaReport["externalRequests"] = [];
  private readonly seen = new Set<string>();

  add(kind: "broken" | "external", from: string, url: string): void {
    const key = JSON.stringify([kind, from, url]);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (kind === "broken") this.brokenLinks.push({ from, href: url });
    else this.externalRequests.push({ from, url });
  }
}

export async function checkSite(site: Site, signal?: AbortSignal): Promise<QaReport> {
  const files = new Map(site.files.map((file) => [file.path, file]));
  const hasFile = (path: string): boolean => files.has(path);
  const pages: ReadPage[] = [];
  for (const file of files.values()) {
    if (!isHtml(file.path)) continue;
    signal?.throwIfAborted();
    pages.push(await readPage(file));
  }
  const idsByFile = new Map(pages.map((page) => [page.file.path, page.ids]));
  const findings = new Findings();

  /** Records what a file's references lead to; answers the site files they load. */
  const follow = (filePath: string, references: Reference[]): string[] => {
    const from = siteUrl(filePath);
    const loaded: string[] = [];
    for (const { url, loaded: isLoaded } of references) {
      const target = resolveReference(url, from, hasFile, site.slug);
      if (target.kind === "external") findings.add("external", sitePath(filePath), url.trim());
      if (target.kind !== "internal") continue;
      const targetIds = target.file === null ? undefined : idsByFile.get(target.file);
      const missingFragment =
        target.fragment !== null && target.fragment !== "top" && targetIds != null && !targetIds.has(target.fragment);
      if (target.file === null || missingFragment) findings.add("broken", sitePath(filePath), url);
      else if (isLoaded) loaded.push(target.file);
    }
    return loaded;
  };

  const cssLoads = new Map<string, string[]>();
  for (const file of files.values()) {
    if (isCss(file.path))
      cssLoads.set(
        file.path,
        follow(
          file.path,
          cssReferences(file.content).map((url) => ({ url, loaded: true })),
        ),
      );
  }

  const reportPages = pages.map((page) => {
    // The page's weight: its HTML plus each file it loads once, following stylesheet imports.
    const loaded = new Set<string>();
    const queue = follow(page.file.path, page.references);
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      if (loaded.has(next) || next === page.file.path) continue;
      loaded.add(next);
      queue.push(...(cssLoads.get(next) ?? []));
    }
    const bytes = [...loaded].reduce(
      (sum, path) => sum + byteLength(files.get(path)?.content ?? ""),
      byteLength(page.file.content),
    );
    return {
      path: sitePath(page.file.path),
      bytes,
      overWeight: bytes > PAGE_WEIGHT_LIMIT_BYTES,
      htmlErrors: page.htmlErrors,
      accessibility: page.accessibility,
    };
  });

  const partial = {
    totalBytes: [...files.values()].reduce((sum, file) => sum + byteLength(file.content), 0),
    pages: reportPages,
    brokenLinks: findings.brokenLinks,
    externalRequests: findings.externalRequests,
  };
  return { ...scoreReport(partial), ...partial };
}
