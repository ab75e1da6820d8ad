import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Database drivers stay plain Node modules: PGlite loads its WebAssembly from its own
  // package folder, and pg/ws have optional native parts that bundlers mangle.
  serverExternalPackages: ["@electric-sql/pglite", "pg", "@neondatabase/serverless", "ws"],
  // Migrations and workflow files are read from disk at run time; ship them with every function.
  outputFileTracingIncludes: { "/**": ["./drizzle/**/*", "./workflows/**/*"] },
  poweredByHeader: false,
};

export default nextConfig;
