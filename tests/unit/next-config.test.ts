/**
 * The security headers next.config.ts declares (issue 15), matched the way Next matches them
 * (its own path matcher, with the options its router uses): every app page and API answer has a
 * CSP with frame-ancestors 'none'; published sites get their own sandboxing policy instead.
 * (The built app's answers are checked by the e2e tests.)
 */
import { getPathMatch } from "next/dist/shared/lib/router/utils/path-match";
import { describe, expect, it } from "vitest";
import nextConfig, { appContentSecurityPolicy } from "../../next.config";
import { SITE_CSP } from "@/sites/response";

type Header = { key: string; value: string };

/** The headers Next would add to a response for `pathname` (later rules win, as in Next). */
async function headersFor(pathname: string): Promise<Map<string, string>> {
  const rules = (await nextConfig.headers?.()) ?? [];
  const out = new Map<string, string>();
  for (const rule of rules) {
    const match = getPathMatch(rule.source, { strict: true, removeUnnamedParams: true });
    if (match(pathname) === false) continue;
    for (const h of rule.headers as Header[]) out.set(h.key.toLowerCase(), h.value);
  }
  return out;
}

function directives(policy: string): Map<string, string> {
  return new Map(
    policy
      .split(";")
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name, ...rest] = d.split(/\s+/);
        return [name!, rest.join(" ")] as const;
      }),
  );
}

describe("the app's pages and API", () => {
  it.each([
    "/",
    "/core-platform-dashboard",
    "/start",
    "/projects/0198c0de-0000-7000-8000-000000000001",
    "/api/health",
    "/api/agents/core/health",
    "/sitemap.xml",
    "/sitesx",
  ])("%s: a CSP that forbids framing and holds scripts, connections and forms to this origin", async (path) => {
    const h = await headersFor(path);
    const csp = directives(h.get("content-security-policy") ?? "");
    expect(csp.get("frame-ancestors")).toBe("'none'");
    expect(csp.get("default-src")).toBe("'self'");
    expect(csp.get("object-src")).toBe("'none'");
    expect(csp.get("base-uri")).toBe("'self'");
    expect(csp.get("connect-src")).toBe("'self'");
    expect(csp.get("script-src")).toBe("'self' 'unsafe-inline'");
    expect(csp.get("form-action")).toBe("'self' https://checkout.stripe.com");
    expect(h.get("x-frame-options")).toBe("DENY");
    expect(h.get("x-content-type-options")).toBe("nosniff");
  });

  it("allows eval and the dev server's WebSocket only under next dev", () => {
    expect(directives(appContentSecurityPolicy(false)).get("script-src")).not.toContain("unsafe-eval");
    expect(directives(appContentSecurityPolicy(true)).get("script-src")).toContain("'unsafe-eval'");
    expect(directives(appContentSecurityPolicy(true)).get("connect-src")).toContain("ws:");
  });

  it("sends no Referer from the client's progress page (its URL holds the token)", async () => {
    expect((await headersFor("/projects/abc")).get("referrer-policy")).toBe("no-referrer");
    expect((await headersFor("/start")).get("referrer-policy")).toBe("strict-origin-when-cross-origin");
  });
});

describe("published sites", () => {
  it.each([
    "/sites",
    "/sites/",
    "/sites/harbour-lights/",
    "/sites/harbour-lights/about/index.html",
    "/sites/x/styles.css",
  ])("%s: not the app's policy (the site route sends its own)", async (path) => {
    const h = await headersFor(path);
    expect(h.has("content-security-policy")).toBe(false);
    expect(h.has("x-frame-options")).toBe(false);
  });

  it("are sandboxed: no scripts, an opaque origin (no allow-same-origin), no forms", () => {
    const csp = directives(SITE_CSP);
    const sandbox = csp.get("sandbox");
    expect(sandbox).toBeDefined();
    expect(sandbox).not.toMatch(/allow-scripts|allow-same-origin|allow-forms|allow-top-navigation/);
    expect(csp.get("script-src")).toBe("'none'");
  });
});
