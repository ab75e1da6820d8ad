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
  poweredByHeader: false,
};

export default nextConfig;
