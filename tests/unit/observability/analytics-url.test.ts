/**
 * Vercel Analytics never receives the client's progress token (src/observability/analytics-url.ts,
 * src/app/analytics.tsx, src/app/layout.tsx).
 */
import fc from "fast-check";
import { isValidElement, type ReactElement, type ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RedactedAnalytics } from "@/app/analytics";
import RootLayout from "@/app/layout";
import { redactAnalyticsEvent, redactAnalyticsUrl } from "@/observability/analytics-url";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("redactAnalyticsUrl", () => {
  it("drops ?token= from the progress page's URL, keeping the path", () => {
    expect(redactAnalyticsUrl("https://app.example/projects/0198c0de?token=s3cr3t")).toBe(
      "https://app.example/projects/0198c0de",
    );
    expect(redactAnalyticsUrl("/projects/0198c0de?token=s3cr3t")).toBe("/projects/0198c0de");
  });

  it("keeps other parameters and drops every credential-named one", () => {
    expect(redactAnalyticsUrl("https://app.example/start?cancelled=1&token=a&apiKey=b&session_id=c&x=2#frag")).toBe(
      "https://app.example/start?cancelled=1&x=2",
    );
    expect(redactAnalyticsUrl("https://app.example/start?cancelled=1")).toBe("https://app.example/start?cancelled=1");
    expect(redactAnalyticsUrl("https://app.example/")).toBe("https://app.example/");
  });

  it("no token value survives, however the query is written (property)", () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9_-]{16,40}$/);
    const other = fc.dictionary(fc.constantFrom("a", "page", "cancelled", "x"), fc.stringMatching(/^[a-z0-9]{0,8}$/));
    fc.assert(
      fc.property(
        secret,
        other,
        fc.constantFrom("token", "TOKEN", "Token"),
        fc.boolean(),
        (value, params, name, first) => {
          const rest = new URLSearchParams(params).toString();
          const query = first
            ? `${name}=${value}${rest ? `&${rest}` : ""}`
            : `${rest ? `${rest}&` : ""}${name}=${value}`;
          const out = redactAnalyticsEvent({
            type: "pageview" as const,
            url: `https://app.example/projects/p1?${query}`,
          });
          expect(out.url).not.toContain(value);
          expect(out.url.startsWith("https://app.example/projects/p1")).toBe(true);
          for (const k of Object.keys(params)) expect(out.url).toContain(`${k}=`);
        },
      ),
    );
  });
});

describe("the layout", () => {
  function find(node: ReactNode, type: unknown): ReactElement | undefined {
    if (Array.isArray(node)) {
      for (const n of node) {
        const found = find(n, type);
        if (found) return found;
      }
      return undefined;
    }
    if (!isValidElement(node)) return undefined;
    if (node.type === type) return node;
    return find((node.props as { children?: ReactNode }).children, type);
  }

  it("on Vercel, sends analytics through beforeSend that strips the token", () => {
    vi.stubEnv("VERCEL", "1");
    const tree = RootLayout({ children: null });
    expect(find(tree, RedactedAnalytics)).toBeDefined();
    const analytics = RedactedAnalytics();
    expect((analytics.props as { beforeSend?: unknown }).beforeSend).toBe(redactAnalyticsEvent);
  });
});
