import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Database drivers stay plain Node modules: PGlite loads its WebAssembly from its own
  // package folder, and pg/ws have optional native parts that bundlers mangle.
  serverExternalPackages: ["@electric-sql/pglite", "pg", "@neondatabase/serverless", "ws"],
  // Migrations are read from disk at run time (src/db/migrate.ts); ship them with every function.
  outputFileTracingIncludes: { "/**": ["./drizzle/**/*"] },
  poweredByHeader: false,
};

export default nextConfig;
