/**
 * The pieces that make a generated site portable and its serving safe, without a database:
 * relative links that resolve the same under any prefix, the 404 page's links moved to any
 * depth, call-to-action targets, ETag matching, the base URL, and the agent's declared shape.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { automation } from "@/agents/automation";
import { relativeHref, resolveCtaHref } from "@/agents/automation/site-links";
import { etagMatches } from "@/sites/response";
import { extractLinks, isDocumentRelative, rebaseRelativeLinks } from "@/sites/html-links";
import { resolveBaseUrl } from "@/sites/urls";

const segment = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
const pagePath = fc.oneof(
  fc.constant("/"),
  segment.map((s) => `/${s}/`),
);
const prefix = fc.array(segment, { maxLength: 3 }).map((parts) => `/${parts.map((p) => `${p}/`).join("")}`);

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("relative links of a generated site", () => {
  it("a link from any page to any page or file resolves to that target under any mount prefix", () => {
    fc.assert(
      fc.property(
        prefix,
        pagePath,
        fc.oneof(pagePath, fc.constantFrom("/styles.css", "/favicon.svg")),
        (mount, from, to) => {
          const href = relativeHref(from, to.slice(1));
          expect(href).not.toMatch(/^\/|^[a-z]+:/);
          expect(new URL(href, `http://static.test${mount}${from.slice(1)}`).pathname).toBe(`${mount}${to.slice(1)}`);
        },
      ),
    );
  });

  it("the 404 page's links, moved down to the depth of the request, reach the same targets as from the root", () => {
    const page =
      '<link rel="stylesheet" href="styles.css"><a href="./">Home</a><a href="about/">About</a><a href="mailto:a@b.example">Mail</a><a href="#main">Skip</a>';
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 4 }), (folders) => {
        const at = `http://static.test/sites/s/${folders.map((f) => `${f}/`).join("")}`;
        const moved = extractLinks(rebaseRelativeLinks(page, folders.length));
        const original = extractLinks(page);
        moved.forEach((href, i) => {
          const before = original[i]!;
          if (!isDocumentRelative(before)) expect(href).toBe(before);
          else expect(new URL(href, at).href).toBe(new URL(before, "http://static.test/sites/s/").href);
        });
      }),
    );
  });

  it("reads href and src values in any quoting, entity-decoded", () => {
    expect(extractLinks(`<a href="a/?x=1&amp;y=2">x</a><img src='i.svg' alt=""><a href=b/>b</a>`)).toEqual([
      "a/?x=1&y=2",
      "i.svg",
      "b/",
    ]);
  });

  it("a call to action reaches one of the site's pages or a mailto: address, nothing else", () => {
    const pages = new Set(["/", "/contact/"]);
    expect(resolveCtaHref("/contact", pages)).toEqual({ kind: "page", path: "/contact/", fragment: "" });
    expect(resolveCtaHref("/contact/#form", pages)).toEqual({ kind: "page", path: "/contact/", fragment: "#form" });
    expect(resolveCtaHref("/", pages)).toEqual({ kind: "page", path: "/", fragment: "" });
    expect(resolveCtaHref("mailto:hi@example.com?subject=Hello", pages)).toEqual({
      kind: "mailto",
      href: "mailto:hi@example.com?subject=Hello",
    });
    for (const bad of [
      "/faq/",
      "https://example.com/",
      "//example.com/",
      "javascript:alert(1)",
      "/contact/../admin",
      "mailto:nobody",
      "contact/",
    ]) {
      expect(resolveCtaHref(bad, pages), bad).toBeNull();
    }
  });
});

describe("serving helpers", () => {
  it("If-None-Match matches the ETag alone, weak, in a list or as *, and nothing else", () => {
    const etag = '"abc"';
    for (const header of ['"abc"', 'W/"abc"', '"x", "abc"', "*"]) expect(etagMatches(header, etag), header).toBe(true);
    for (const header of [null, '"abcd"', "abc", '"x"']) expect(etagMatches(header, etag), String(header)).toBe(false);
  });

  it("the base URL is the explicit one, else PUBLIC_BASE_URL, else localhost on PORT (3000 by default), without a trailing slash", () => {
    vi.stubEnv("PUBLIC_BASE_URL", "");
    vi.stubEnv("PORT", "");
    expect(resolveBaseUrl()).toBe("http://localhost:3000");
    vi.stubEnv("PORT", "4100");
    expect(resolveBaseUrl()).toBe("http://localhost:4100");
    vi.stubEnv("PUBLIC_BASE_URL", "https://example.org/platform/");
    expect(resolveBaseUrl()).toBe("https://example.org/platform");
    expect(resolveBaseUrl("https://given.example/")).toBe("https://given.example");
    vi.stubEnv("PUBLIC_BASE_URL", "not a url");
    expect(() => resolveBaseUrl()).toThrow(/PUBLIC_BASE_URL/);
  });
});

describe("the automation agent", () => {
  it("declares build_site, deploy_site and verify_deployment, each with a timeout and JSON-describable schemas", () => {
    expect(automation.name).toBe("automation");
    expect(Object.keys(automation.actions)).toEqual(["build_site", "deploy_site", "verify_deployment"]);
    for (const action of Object.values(automation.actions)) {
      expect(action.timeoutMs).toBeGreaterThan(0);
      expect(() => z.toJSONSchema(action.input, { io: "input" })).not.toThrow();
      expect(() => z.toJSONSchema(action.output, { io: "output" })).not.toThrow();
    }
  });
});
