import type { NextConfig } from "next";

/**
 * Security headers (issue 15). The app's pages and API get a Content-Security-Policy and may not
 * be framed; published sites (`/sites/<slug>/…`) get their own policy from their route
 * (src/sites/response.ts SITE_CSP, which sandboxes them: an opaque origin, apart from the
 * dashboard's cookies and APIs), so the app's policy is not sent there.
 *
 * Decision: no nonces. A nonce makes every page dynamic (rendered per request); the pages here
 * carry no user-supplied HTML (React escapes text), so Next's own inline scripts are allowed by
 * 'unsafe-inline' as the Next.js CSP guide's "without nonces" policy does, and everything else is
 * held to this origin. 'unsafe-eval' and the dev server's WebSocket only under `next dev`.
 * `form-action` names Stripe Checkout: without JavaScript the order form's server action answers
 * with a redirect there, and browsers hold form redirects to form-action.
 */
export function appContentSecurityPolicy(dev = process.env.NODE_ENV === "development"): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self' https://checkout.stripe.com",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Every path but /sites and /sites/…: path-to-regexp, as Next's `headers()` takes it. */
export const APP_PATHS = "/((?!sites(?:/|$)).*)";

export const securityHeaders: NonNullable<NextConfig["headers"]> = async () => [
  {
    source: APP_PATHS,
    headers: [
      { key: "Content-Security-Policy", value: appContentSecurityPolicy() },
      // For browsers without frame-ancestors.
      { key: "X-Frame-Options", value: "DENY" },
      { key: "X-Content-Type-Options", value: "nosniff" },
      { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
    ],
  },
  {
    // The client's progress page carries its token in the URL (?token=): no Referer at all.
    source: "/projects/:path*",
    headers: [{ key: "Referrer-Policy", value: "no-referrer" }],
  },
];

const nextConfig: NextConfig = {
  // Database drivers stay plain Node modules: PGlite loads its WebAssembly from its own
  // package folder, and pg/ws have optional native parts that bundlers mangle.
  // html-validate loads its rule sets and schemas from its own package folder at run time;
  // nodemailer is plain Node (net/tls), nothing to gain from bundling it.
  serverExternalPackages: [
    "@electric-sql/pglite",
    "pg",
    "@neondatabase/serverless",
    "ws",
    "html-validate",
    "nodemailer",
  ],
  // Published sites (/sites/<slug>/…) link to folders with a trailing slash, and their route
  // redirects a folder without one to the slash form; Next's default strip of trailing slashes
  // would loop with that.
  skipTrailingSlashRedirect: true,
  // Migrations and workflow files are read from disk at run time; ship them with every function.
  outputFileTracingIncludes: { "/**": ["./drizzle/**/*", "./workflows/**/*"] },
  // Production functions talk to Neon or Postgres, never to the embedded database: PGlite's
  // WebAssembly and data files (about 20 MB of each function's 23 MB) stay out of them. Local
  // `npm start` runs from node_modules, which tracing does not touch.
  outputFileTracingExcludes: { "/**": ["./node_modules/@electric-sql/pglite/**/*", "./.data/**/*"] },
  poweredByHeader: false,
  headers: securityHeaders,
  experimental: {
    // `next start` would otherwise load every route's module before its first answer (about 1 s
    // of its 2 s cold start here); each route loads on its first request instead. On Vercel each
    // function holds its own route only.
    preloadEntriesOnStart: false,
  },
};

export default nextConfig;
