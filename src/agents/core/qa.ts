import { z } from "zod";
import { ActionRejected, defineAction } from "../framework";
import { siteSchema } from "../schemas";
import { checkSite } from "./qa/check-site";
import { describeQaFailure } from "./qa/failure";
import { qaReportSchema } from "./qa/report";

/**
 * The QA report of a generated site, from its files alone: HTML validity (html-validate,
 * standard preset), accessibility basics (lang, title, one h1, heading order, image
 * alternatives, labelled form controls, link text, viewport), page weight (over 100 KB is
 * flagged), internal links resolved like a browser, and every external request.
 */
export const qaCheckAction = defineAction({
  description:
    "Checks a site's files: HTML validity, accessibility basics, page weight, broken internal links and external requests. Answers a report with a 0–100 score; passed means no error of any kind.",
  input: z.strictObject({
    site: siteSchema,
    /** A release gate: a score under it refuses (422, the report as details) instead of answering the report. */
    minScore: z.number().int().min(0).max(100).optional(),
  }),
  output: qaReportSchema,
  timeoutMs: 20_000,
  // Adaptive timeout (src/agents/gateway/adaptive-timeout.ts): checks the files it is given, no effect. A cut call is retried
  // harmlessly. The floor stays at half the static value: a loaded instance is no reason to fail it.
  adaptiveTimeout: { floorMs: 10_000 },
  // Cacheable: the report is a function of the files given alone (nothing is fetched, no clock),
  // and checking a site is the costliest pure action (html-validate on every page). A retried
  // build that produces the same files is answered at once. A refusal under `minScore` is never
  // stored (only answers are). Bump the version with any change to the checks, or to
  // html-validate's version or preset.
  cache: { ttlMs: 24 * 3_600_000, version: 1 },
  handler: async ({ site, minScore }, ctx) => {
    const report = await checkSite(site, ctx.signal);
    if (minScore !== undefined && report.score < minScore)
      throw new ActionRejected(describeQaFailure(report, minScore), report);
    return report;
  },
});
