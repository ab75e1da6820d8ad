import { z } from "zod";
import { defineAction } from "../framework";
import { siteSchema } from "../schemas";
import { checkSite } from "./qa/check-site";
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
  input: z.strictObject({ site: siteSchema }),
  output: qaReportSchema,
  timeoutMs: 20_000,
  handler: ({ site }, ctx) => checkSite(site, ctx.signal),
});
