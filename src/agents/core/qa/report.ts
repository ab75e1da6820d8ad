/** The QA report's shape, and how its score is counted. */
import { z } from "zod";

/** Above this a page is flagged as heavy (its HTML plus the files it loads). */
export const PAGE_WEIGHT_LIMIT_BYTES = 100 * 1024;

export const qaPageSchema = z.strictObject({
  /** Site path of the page: "/", "/about/", "/404.html". */
  path: z.string(),
  /** The page's HTML plus every site file it loads (stylesheets and their imports, scripts, images). */
  bytes: z.number().int().nonnegative(),
  /** `bytes` is over PAGE_WEIGHT_LIMIT_BYTES (100 KB). */
  overWeight: z.boolean(),
  htmlErrors: z.array(z.strictObject({ rule: z.string(), message: z.string(), line: z.number().int() })),
  accessibility: z.array(z.strictObject({ rule: z.string(), message: z.string() })),
});
export type QaPage = z.infer<typeof qaPageSchema>;

export const qaReportSchema = z.strictObject({
  /** No HTML error, no accessibility issue, no broken link and no external request. */
  passed: z.boolean(),
  /** 100 minus the penalties of SCORE_PENALTY, never below 0. */
  score: z.number().int().min(0).max(100),
  /** Every file of the site. */
  totalBytes: z.number().int().nonnegative(),
  pages: z.array(qaPageSchema),
  /** Site references (from a page or a stylesheet) to a file or fragment the site does not have. */
  brokenLinks: z.array(z.strictObject({ from: z.string(), href: z.string() })),
  /** Every http(s):// or protocol-relative URL in a src, href or url(). */
  externalRequests: z.array(z.strictObject({ from: z.string(), url: z.string() })),
});
export type QaReport = z.infer<typeof qaReportSchema>;

/**
 * Points lost per finding. A broken link or an external request (a privacy leak, a dependency
 * on someone else's server) weighs more than one markup error, since one nesting mistake often
 * yields two or three messages.
 */
export const SCORE_PENALTY = {
  htmlError: 5,
  accessibility: 5,
  brokenLink: 10,
  externalRequest: 10,
  overWeightPage: 5,
} as const;

export function scoreReport(report: Omit<QaReport, "passed" | "score">): Pick<QaReport, "passed" | "score"> {
  const htmlErrors = report.pages.reduce((n, p) => n + p.htmlErrors.length, 0);
  const accessibility = report.pages.reduce((n, p) => n + p.accessibility.length, 0);
  const overWeight = report.pages.filter((p) => p.overWeight).length;
  const penalty =
    htmlErrors * SCORE_PENALTY.htmlError +
    accessibility * SCORE_PENALTY.accessibility +
    report.brokenLinks.length * SCORE_PENALTY.brokenLink +
    report.externalRequests.length * SCORE_PENALTY.externalRequest +
    overWeight * SCORE_PENALTY.overWeightPage;
  const passed =
    htmlErrors === 0 && accessibility === 0 && report.brokenLinks.length === 0 && report.externalRequests.length === 0;
  return { passed, score: Math.max(0, 100 - penalty) };
}
