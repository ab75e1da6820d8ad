/** What an operator reads when a site scores under the QA threshold: the score and what cost points. */
import type { QaReport } from "./report";

export function describeQaFailure(report: QaReport, minScore: number): string {
  const count = (n: number, what: string) => (n > 0 ? [`${n} ${what}`] : []);
  const findings = [
    ...count(
      report.pages.reduce((n, p) => n + p.htmlErrors.length, 0),
      "HTML error(s)",
    ),
    ...count(
      report.pages.reduce((n, p) => n + p.accessibility.length, 0),
      "accessibility issue(s)",
    ),
    ...count(report.brokenLinks.length, "broken link(s)"),
    ...count(report.externalRequests.length, "external request(s)"),
    ...count(report.pages.filter((p) => p.overWeight).length, "page(s) over the weight limit"),
  ];
  return `The site scored ${report.score}/100 in QA, under the required ${minScore}${findings.length ? `: ${findings.join(", ")}` : ""}.`;
}
