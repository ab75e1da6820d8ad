/**
 * Typed failures of the definition layer. Callers read `code` and `issues`, never the message:
 * the API maps `invalid_definition` to a 400 with the issue list as details.
 */
import { CodedError } from "@/errors";

/** One problem in a definition; `path` names the place as written (`steps[2].depends_on`). */
export interface DefinitionIssue {
  path: string;
  message: string;
}

/** The path of a document-level problem (unparsable text, wrong root type). */
export const ROOT_PATH = "(root)";

/** Beyond this, more issues add noise, not information (and bound the work on junk input). */
export const MAX_ISSUES = 100;
const MAX_LISTED_IN_MESSAGE = 20;

/** A CodedError, so wherever it is thrown (parsing, or the agent check at registration) the API answers 400. */
export class DefinitionError extends CodedError {
  declare readonly code: "invalid_definition";
  readonly issues: DefinitionIssue[];

  constructor(issues: DefinitionIssue[], options?: { cause?: unknown }) {
    const kept = issues.slice(0, MAX_ISSUES);
    super("invalid_definition", formatIssues(kept), kept, options);
    this.issues = kept;
  }
}

function formatIssues(issues: DefinitionIssue[]): string {
  const listed = issues.slice(0, MAX_LISTED_IN_MESSAGE).map((i) => `- ${i.path}: ${i.message}`);
  const more = issues.length - listed.length;
  if (more > 0) listed.push(`- … and ${more} more`);
  const noun = issues.length === 1 ? "problem" : "problems";
  return `Invalid workflow definition (${issues.length} ${noun}):\n${listed.join("\n")}`;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `["steps", 2, "depends_on"]` → `steps[2].depends_on`; odd keys are quoted: `headers["X-Y"]`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (typeof segment === "string" && IDENTIFIER.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out === "" ? ROOT_PATH : out;
}

/** Appends a segment to an already formatted path. */
export function joinPath(base: string, segment: string | number): string {
  const suffix = formatPath([segment]);
  if (base === ROOT_PATH || base === "") return suffix;
  return suffix.startsWith("[") ? base + suffix : `${base}.${suffix}`;
}
