"use client";
/**
 * Vercel Analytics with the page URL's credentials removed before anything is sent (the client's
 * `?token=`: src/observability/analytics-url.ts). A client component, because `beforeSend` is a
 * function and the root layout is a server component.
 */
import { Analytics } from "@vercel/analytics/next";
import { redactAnalyticsEvent } from "@/observability/analytics-url";

export function RedactedAnalytics() {
  return <Analytics beforeSend={redactAnalyticsEvent} />;
}
