/**
 * What an operator reads when a published site fails its check: which pages did not answer and
 * which links are broken, in one line (the step's error, the admin alert's text), the full
 * report as the error's details.
 */
import { ActionRejected } from "../framework";

interface Report {
  ok: boolean;
  pages: { path: string; status: number; contentType: string | null; ok: boolean }[];
  brokenLinks: { from: string; href: string; status: number }[];
}

/** Beyond this many, a list says "and N more" (the details hold them all). */
const LISTED = 5;

function listed(items: string[]): string {
  return items.length > LISTED
    ? `${items.slice(0, LISTED).join(", ")} and ${items.length - LISTED} more`
    : items.join(", ");
}

const answer = (status: number, contentType: string | null) =>
  status === 0
    ? "no answer"
    : status === 200
      ? `200 with ${contentType ?? "no content type"}, not HTML`
      : `HTTP ${status}`;

/** One sentence naming every problem class of a failed verification. */
export function describeVerificationFailure(report: Report): string {
  const problems: string[] = [];
  const badPages = report.pages.filter((p) => !p.ok);
  if (report.pages.length === 0) problems.push("the site has no page");
  if (badPages.length > 0)
    problems.push(
      `${badPages.length} page(s) did not answer: ${listed(badPages.map((p) => `${p.path} (${answer(p.status, p.contentType)})`))}`,
    );
  if (report.brokenLinks.length > 0) {
    problems.push(
      `${report.brokenLinks.length} broken link(s): ${listed(report.brokenLinks.map((l) => `${l.href} on ${l.from} (${l.status === 0 ? "no answer" : `HTTP ${l.status}`})`))}`,
    );
  }
  return `The published site failed its check: ${problems.join("; ")}.`;
}

/**
 * The verification as a refusal: the step fails at once and the agent's circuit breaker is not
 * blamed (a client's broken site is not the agent being down). An operator who fixed the cause
 * retries the run from this step, which checks again.
 */
export function verificationFailed(report: Report): ActionRejected {
  return new ActionRejected(describeVerificationFailure(report), report);
}
