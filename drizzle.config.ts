import { defineConfig } from "drizzle-kit";

// `npm run db:generate` diffs src/db/schema against drizzle/ and writes a new migration.
// Migrations are applied by our own migrator (src/db/migrate.ts), not by drizzle-kit.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema/index.ts",
  out: "./drizzle",
  strict: true,
  verbose: true,
});
