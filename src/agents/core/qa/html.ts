/**
 * HTML validity and the accessibility rules html-validate already knows, in one pass per page,
 * plus a DOM of the page (html-validate's own parser) for the checks it does not cover.
 *
 * The configuration is static (no `.htmlvalidate.json` is read from disk): the "standard"
 * preset (the HTML specification's content model, no style rules), a doctype, and the
 * accessibility rules listed in A11Y_RULES, whose messages are reported as accessibility issues
 * rather than as HTML errors.
 */
import {
  HtmlValidate,
  Parser,
  StaticConfigLoader,
  type ConfigData,
  type HtmlElement,
  type Message,
  type RuleConfig,
} from "html-validate";

export interface HtmlError {
  rule: string;
  message: string;
  line: number;
}
export interface AccessibilityIssue {
  rule: string;
  message: string;
}

const A11Y_RULES: RuleConfig = {
  "area-alt": ["error", { accessible: true }],
  "aria-hidden-body": "error",
  "aria-label-misuse": "error",
  "empty-heading": "error",
  // One <h1> per page is checked by `single-h1`, with a clearer message.
  "heading-level": ["error", { allowMultipleH1: true }],
  "hidden-focusable": "error",
  "input-missing-label": "error",
  "meta-refresh": "error",
  "multiple-labeled-controls": "error",
  "no-autoplay": ["error", { include: ["audio", "video"] }],
  "text-content": "error",
  "wcag/h30": "error",
  "wcag/h32": "error",
  "wcag/h36": "error",
  "wcag/h37": "error",
  "wcag/h63": "error",
  "wcag/h67": "error",
  "wcag/h71": "error",
};

const CONFIG: ConfigData = {
  root: true,
  extends: ["html-validate:standard"],
  rules: { "missing-doctype": "error", "no-missing-references": "error", ...A11Y_RULES },
};

let validator: HtmlValidate | undefined;
function getValidator(): HtmlValidate {
  // Built once per process: loading the HTML5 element metadata is the costly part.
  return (validator ??= new HtmlValidate(new StaticConfigLoader(CONFIG)));
}

/** html-validate's metadata requires `lang` on <html>; `html-lang` reports it as accessibility. */
function isLangOnHtml(message: Message): boolean {
  const context = message.context as { tagName?: unknown; attr?: unknown } | undefined;
  return message.ruleId === "element-required-attributes" && context?.tagName === "<html>" && context.attr === "lang";
}

export interface ValidatedPage {
  htmlErrors: HtmlError[];
  accessibility: AccessibilityIssue[];
  /** The parsed page, or null when it cannot even be tokenized (then `htmlErrors` says why). */
  document: HtmlElement | null;
}

export async function validatePage(html: string, filename: string): Promise<ValidatedPage> {
  const htmlValidate = getValidator();
  const report = await htmlValidate.validateString(html, filename);
  const htmlErrors: HtmlError[] = [];
  const accessibility: AccessibilityIssue[] = [];
  for (const message of report.results.flatMap((result) => result.messages)) {
    if (message.severity < 2 || isLangOnHtml(message)) continue;
    if (Object.hasOwn(A11Y_RULES, message.ruleId))
      accessibility.push({ rule: message.ruleId, message: message.message });
    else htmlErrors.push({ rule: message.ruleId, message: message.message, line: message.line });
  }
  let document: HtmlElement | null = null;
  try {
    document = new Parser(await htmlValidate.getConfigFor(filename)).parseHtml(html);
  } catch {
    // The lexer gave up; validateString reported it as a parser error.
  }
  return { htmlErrors, accessibility, document };
}
