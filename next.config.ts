import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Database drivers stay plain Node modules: PGlite loads its WebAssembly from its own
  // package folder, and pg/ws have optional native parts that bundlers mangle.
  // html-validate loads its rule sets and schemas from its own package folder at run time;
  // nodemailer is plain Node (net/tls), nothing to gain from bundling it.
  serverExternalPackages: ["@electric-sql/pglite", "pg", "@neondatabase/serverless", "ws", "html-validate", "nodemailer"],
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
  experimental: {
    // `next start` would otherwise load every route's module before its first answer (about 1 s
    // of its 2 s cold start here); each route loads on its first request instead. On Vercel each
    // function holds its own route only.
    preloadEntriesOnStart: false,
  },
};

export default nextConfig;
