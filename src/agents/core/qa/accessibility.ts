/**
 * Accessibility basics html-validate has no rule for: a page language, a title, exactly one
 * <h1>, and a viewport that lets people zoom. (Image alternatives, heading order, labels and
 * link text come from html-validate's WCAG rules, see html.ts.)
 */
import type { HtmlElement } from "html-validate";
import type { AccessibilityIssue } from "./html";

function checkViewport(document: HtmlElement): AccessibilityIssue | null {
  const viewport = document
    .querySelectorAll("meta")
    .find((meta) => meta.getAttributeValue("name")?.trim().toLowerCase() === "viewport");
  if (!viewport)
    return { rule: "viewport-meta", message: 'no <meta name="viewport">: phones show the page zoomed out' };
  const settings = new Map<string, string>();
  for (const pair of (viewport.getAttributeValue("content") ?? "").toLowerCase().split(/[,;]/)) {
    const [key = "", value = ""] = pair.split("=").map((part) => part.trim());
    settings.set(key, value);
  }
  if (settings.get("width") !== "device-width")
    return { rule: "viewport-meta", message: "the viewport does not set width=device-width" };
  const maximumScale = Number(settings.get("maximum-scale") || Infinity);
  if (["no", "0"].includes(settings.get("user-scalable") ?? "") || maximumScale < 2) {
    return {
      rule: "viewport-meta",
      message: "the viewport prevents zooming (user-scalable=no or maximum-scale below 2)",
    };
  }
  return null;
}

export function checkAccessibility(document: HtmlElement): AccessibilityIssue[] {
  const issues: AccessibilityIssue[] = [];
  const lang = document.querySelector("html")?.getAttributeValue("lang")?.trim();
  if (!lang)
    issues.push({
      rule: "html-lang",
      message: "<html> has no lang attribute: screen readers cannot pick the page's language",
    });
  const title = document.querySelector("title");
  if (!title?.textContent.trim())
    issues.push({ rule: "document-title", message: title ? "the <title> is empty" : "the page has no <title>" });
  const h1Count = document.querySelectorAll("h1").length;
  if (h1Count !== 1)
    issues.push({
      rule: "single-h1",
      message: h1Count === 0 ? "the page has no <h1>" : `the page has ${h1Count} <h1> elements; it should have one`,
    });
  const viewport = checkViewport(document);
  if (viewport) issues.push(viewport);
  return issues;
}
