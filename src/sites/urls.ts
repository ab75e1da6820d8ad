/**
 * Where published sites live: `/sites/<slug>/` on this platform, and the absolute base used in
 * sitemaps, deployment URLs and verification: the caller's explicit `baseUrl`, else the
 * platform's public origin (env.ts publicBaseUrl: PUBLIC_BASE_URL, Vercel's URL, or
 * `http://localhost:<PORT>`), validated here.
 */
import { publicBaseUrl } from "@/env";

/** Slugs as the shared schemas define them (lower case, digits, inner hyphens, ≤ 48). */
export const SITE_SLUG = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;

export function resolveBaseUrl(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  // Production without any configured origin still gets a well-formed (if local) base.
  const configured = explicit ?? publicBaseUrl(env) ?? "http://localhost:3000";
  let url: URL;
  try {
    url = new URL(configured);
  } catch {
    throw new Error(`PUBLIC_BASE_URL is not a valid URL: ${JSON.stringify(configured)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new Error(`The base URL must be http(s): ${JSON.stringify(configured)}`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}

/** `/sites/<slug>/`: the site's path on this platform. */
export function sitePath(slug: string): string {
  return `/sites/${slug}/`;
}

/** The absolute URL of a page (`"/"`, `"/about/"`) of a site. */
export function pageUrl(base: string, slug: string, page: string): string {
  return `${base}${sitePath(slug)}${page.replace(/^\//, "")}`;
}
